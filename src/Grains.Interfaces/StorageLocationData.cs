namespace Fruits.Grains.Interfaces;

/// <summary>
/// A folder the user named (a local path or s3://bucket/prefix), as it crosses a grain call and as a job's record
/// stores it. The client parses and checks it before sending; the grains turn it back into the pipeline's location.
/// </summary>
/// <remarks>The field id is the one jobs were stored with, so stored jobs stay readable.</remarks>
[GenerateSerializer, Immutable, Alias("Fruits.StorageLocation")]
public sealed record StorageLocationData([property: Id(0)] string Uri)
{
    public override string ToString() => Uri;
}
