namespace Fruits.Pipeline.Output;

/// <summary>How <see cref="PlainParquetWriter"/> compresses a column's pages; the values are Parquet's codec numbers.</summary>
public enum PlainCodec
{
    /// <summary>Pages stored as they are built.</summary>
    Uncompressed = 0,

    /// <summary>Each page compressed with Snappy.</summary>
    Snappy = 1,
}
