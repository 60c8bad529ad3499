namespace Fruits.Pipeline.Output;

/// <summary>A column of a file <see cref="PlainParquetWriter"/> writes: its name and kind.</summary>
public sealed record PlainColumn(string Name, PlainColumnKind Kind);
