namespace Fruits.IntegrationTests.Clustering;

[CollectionDefinition(Name)]
public sealed class DynamoDbClusteringCollection : ICollectionFixture<DynamoDbMotoFixture>
{
    public const string Name = "dynamodb clustering";
}
