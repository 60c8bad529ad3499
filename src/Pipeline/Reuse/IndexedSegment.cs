namespace Fruits.Pipeline.Reuse;

/// <summary>What a segment's index file holds: its rows' content hashes in row order, and each row's image version key.</summary>
/// <param name="Versions">Null where the index file has no version column; a null entry where the row's image had none.</param>
public sealed record IndexedSegment(string Id, IReadOnlyList<ContentHash> Hashes, IReadOnlyList<UInt128?>? Versions);
