namespace Fruits.IntegrationTests.Persistence;

[GenerateSerializer]
public sealed class TestJobState
{
    [Id(0)]
    public string? Value { get; set; }

    [Id(1)]
    public int Writes { get; set; }

    [Id(2)]
    public List<int> Numbers { get; set; } = [];
}
