namespace Fruits.Pipeline.Output;

/// <summary>The column kinds <see cref="PlainParquetWriter"/> writes, each as Parquet.Net writes the same property.</summary>
public enum PlainColumnKind
{
    /// <summary>A required UTF-8 string.</summary>
    String,

    /// <summary>A UTF-8 string that may be null.</summary>
    OptionalString,

    /// <summary>A required 32-bit integer.</summary>
    Int32,

    /// <summary>A required list of required floats.</summary>
    FloatList,

    /// <summary>A list of required floats that may be null.</summary>
    OptionalFloatList,
}
