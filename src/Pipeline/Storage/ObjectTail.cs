namespace Fruits.Pipeline.Storage;

/// <summary>The last bytes of an object and its whole length, enough to read a Parquet footer.</summary>
public sealed record ObjectTail(long Length, byte[] Bytes);
