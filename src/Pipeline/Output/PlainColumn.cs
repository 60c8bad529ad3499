namespace Fruits.Pipeline.Output;

/// <summary>A column of a file <see cref="PlainParquetWriter"/> writes: its name, kind and how its pages are compressed.</summary>
public sealed record PlainColumn(string Name, PlainColumnKind Kind, PlainCodec Codec = PlainCodec.Snappy);
