namespace Fruits.Pipeline.Listing;

/// <summary>One input image: its store key, the path written to the output, and its label.</summary>
[GenerateSerializer, Immutable]
public sealed record ImageEntry([property: Id(0)] string Key, [property: Id(1)] string Path, [property: Id(2)] string Label);
