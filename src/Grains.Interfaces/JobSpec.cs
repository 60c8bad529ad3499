using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>What a user asked for: the seed pipeline from <see cref="Input"/> to <see cref="Output"/>.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.JobSpec")]
public sealed record JobSpec(
    [property: Id(0)] StorageLocation Input,
    [property: Id(1)] StorageLocation Output,
    [property: Id(2)] PcaSelection Selection,
    [property: Id(3)] int BatchSize,
    [property: Id(4)] bool Overwrite = false)
{
    public const int DefaultBatchSize = 64;
}
