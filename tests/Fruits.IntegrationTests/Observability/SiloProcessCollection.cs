namespace Fruits.IntegrationTests.Observability;

[CollectionDefinition(Name)]
public sealed class SiloProcessCollection : ICollectionFixture<SiloProcessFixture>
{
    public const string Name = "observed silo process";
}
