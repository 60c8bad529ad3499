using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Parquet;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Features addressed by content, in one namespace (<see cref="FeatureStoreKey"/>) of a store shared by every job
/// that names it. A segment is written before its index file, each atomically, and a hit is trusted only when the
/// segment's row holds the very hash looked up: a writer killed between the two leaves an orphan segment that nothing
/// points to, never an index entry that points to the wrong features. Writing the same entries twice writes the
/// same keys, so concurrent jobs over overlapping images need no coordination.
/// </summary>
public sealed class FeatureStore(IObjectStore store)
{
    private const int ParallelIndexReads = 16;

    /// <summary>A refresh that read this many segments' own index files merges them into one for the next reader.</summary>
    private const int MergeAfterIndexFiles = 32;

    /// <summary>A refresh that read this many merged files merges them into one, so that their number stays small.</summary>
    private const int MergeAfterMergedFiles = 4;

    /// <summary>
    /// A segment's columns: those of <see cref="FeatureStoreRow"/>. The features are stored uncompressed: Snappy takes
    /// only about a fifth off them, and was much of what writing a segment cost on the cores that run the model.
    /// </summary>
    private static readonly PlainColumn[] SegmentColumns = [new("sha256", PlainColumnKind.String), new("features", PlainColumnKind.FloatList, PlainCodec.Uncompressed)];

    /// <summary>An index file's columns: those of <see cref="FeatureStoreIndexRow"/>.</summary>
    private static readonly PlainColumn[] IndexColumns = [new("sha256", PlainColumnKind.String), new("row", PlainColumnKind.Int32), new("image_version", PlainColumnKind.OptionalString)];

    public IObjectStore Store => store;

    /// <summary>
    /// Loads the index entries <paramref name="index"/> does not hold yet: merged index files first, then the index file
    /// of each segment they did not cover. Returns how many files were read. When many segments' own files had to be
    /// read, they are merged into one file for the next reader, as are several merged files.
    /// </summary>
    public async Task<int> RefreshAsync(FeatureStoreIndex index, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        var pending = new List<string>();
        var merged = new List<string>();
        await foreach (var item in store.ListAsync(FeatureStoreLayout.IndexPrefix, cancellationToken))
        {
            if (FeatureStoreLayout.SegmentOfIndex(item.Key) is { } id && !index.IsLoaded(id))
            {
                pending.Add(id);
            }
            else if (FeatureStoreLayout.IsMergedIndex(item.Key) && !index.HasRead(item.Key))
            {
                merged.Add(item.Key);
            }
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ParallelIndexReads, CancellationToken = cancellationToken };
        var mergedRead = new ConcurrentDictionary<string, IReadOnlyList<IndexedSegment>>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(merged, parallel, async (key, token) =>
        {
            if (await MergedIndexFile.TryReadAsync(store, key, token) is { } segments)
            {
                index.AddMerged(key, segments);
                mergedRead[key] = segments;
            }
        });

        var segmentsRead = new ConcurrentBag<IndexedSegment>();
        await Parallel.ForEachAsync(pending.Where(id => !index.IsLoaded(id)), parallel, async (id, token) =>
        {
            if (await TryReadIndexAsync(id, token) is { } segment)
            {
                index.AddSegment(id, segment.Hashes, segment.Versions);
                segmentsRead.Add(segment);
            }
        });

        if (segmentsRead.Count >= MergeAfterIndexFiles || mergedRead.Count >= MergeAfterMergedFiles)
        {
            await MergeAsync(index, [.. mergedRead.Values.SelectMany(s => s), .. segmentsRead], mergedRead.Keys, cancellationToken);
        }

        return mergedRead.Count + segmentsRead.Count;
    }

    /// <summary>
    /// Writes one merged file of <paramref name="segments"/>, then deletes the merged files it replaces. Never fails the
    /// refresh: the files read stay the truth, and the next reader merges them if this one could not.
    /// </summary>
    private async Task MergeAsync(FeatureStoreIndex index, IReadOnlyList<IndexedSegment> segments, IEnumerable<string> replaced, CancellationToken cancellationToken)
    {
        try
        {
            var written = await MergedIndexFile.WriteAsync(store, [.. segments.DistinctBy(s => s.Id, StringComparer.Ordinal)], cancellationToken);
            index.MarkRead(written);
            foreach (var key in replaced.Where(k => k != written))
            {
                await store.DeleteAsync(key, cancellationToken);
            }
        }
        catch (StorageException)
        {
            // Not merged this time: every entry is already in the index, and in the files this refresh read.
        }
    }

    /// <summary>
    /// Copies the stored features of each of <paramref name="wanted"/> into its row of <paramref name="destination"/>
    /// (rows of <paramref name="dimension"/> floats). Returns the positions in <paramref name="wanted"/> whose features
    /// could not be read or did not verify: those images must be featurized.
    /// </summary>
    /// <param name="resolved">
    /// When given, receives at each verified position the full hash the segment row holds. A hit found by image version
    /// carries only its hash's first 128 bits (an empty <see cref="ContentHash.Hex"/>), and is checked against those.
    /// </param>
    /// <param name="index">
    /// The index the hits were found in. When given, a segment that is missing or does not hold the rows its index
    /// file names (not one that could not be read for now) is forgotten there, and its hits are read from their
    /// alternate segments; <paramref name="served"/> then says where each verified position was read from.
    /// </param>
    /// <param name="served">When given, receives at each verified position the entry its features were read from.</param>
    public async Task<IReadOnlyList<int>> ReadAsync(
        IReadOnlyList<FeatureStoreHit> wanted,
        float[] destination,
        int dimension,
        ContentHash[]? resolved = null,
        FeatureStoreIndex? index = null,
        FeatureStoreEntry[]? served = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(destination);
        var failed = new List<int>();
        var pending = wanted.Select((hit, position) => (Hit: hit, Position: position)).ToList();
        while (pending.Count > 0)
        {
            var retry = new List<(FeatureStoreHit Hit, int Position)>();
            foreach (var group in pending.GroupBy(h => h.Hit.Entry.SegmentId, StringComparer.Ordinal))
            {
                var (segment, lost) = await TryReadSegmentAsync(group.Key, cancellationToken);
                var forgotten = false;
                try
                {
                    foreach (var (hit, position) in group)
                    {
                        var row = hit.Entry.Row;
                        var stored = segment is { } read && read.Dimension == dimension && row < read.Hashes.Length ? read.Hashes[row] : null;
                        ContentHash? full = stored is null ? null
                            : hit.Hash.Hex.Length > 0 ? (string.Equals(stored, hit.Hash.Hex, StringComparison.Ordinal) ? hit.Hash : null)
                            : ContentHash.Parse(stored) is { } parsed && parsed.Prefix == hit.Hash.Prefix ? parsed : null;
                        if (full is null)
                        {
                            // Lost, or not the rows its index file names: no hit in it is trusted again, and each is
                            // looked for where else it is stored. A segment that failed for now is only skipped.
                            if (index is not null && (lost || segment is not null))
                            {
                                if (!forgotten)
                                {
                                    index.Forget(group.Key);
                                    forgotten = true;
                                }

                                if (index.TryFind(hit.Hash, out var elsewhere) && elsewhere.SegmentId != group.Key)
                                {
                                    retry.Add((hit with { Entry = elsewhere }, position));
                                    continue;
                                }
                            }

                            failed.Add(position);
                            continue;
                        }

                        if (resolved is not null)
                        {
                            resolved[position] = full.Value;
                        }

                        if (served is not null)
                        {
                            served[position] = hit.Entry;
                        }

                        segment!.Value.Features.AsSpan(row * dimension, dimension).CopyTo(destination.AsSpan(hit.DestinationRow * dimension, dimension));
                    }
                }
                finally
                {
                    if (segment is { } done)
                    {
                        ArrayPool<float>.Shared.Return(done.Features);
                    }
                }
            }

            // Each pass forgets at least the segments its retries left, so passes end.
            pending = retry;
        }

        failed.Sort();
        return failed;
    }

    /// <summary>
    /// Stores <paramref name="hashes"/>' features (rows of <paramref name="features"/>) as one segment and its index
    /// file, and adds them to <paramref name="index"/>. Returns the segment's id.
    /// </summary>
    /// <param name="versions">Each row's <see cref="ImageVersionKey"/>, or null where its image has none.</param>
    public async Task<string> WriteAsync(IReadOnlyList<ContentHash> hashes, float[] features, int dimension, FeatureStoreIndex? index, IReadOnlyList<UInt128?>? versions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        ArgumentNullException.ThrowIfNull(features);
        if (versions is not null && versions.Count != hashes.Count)
        {
            throw new ArgumentException($"{hashes.Count} rows need {hashes.Count} version keys, got {versions.Count}", nameof(versions));
        }

        if (hashes.Count == 0 || features.Length < (long)hashes.Count * dimension)
        {
            throw new ArgumentException($"a segment needs at least one row and {hashes.Count} x {dimension} features, got {features.Length}", nameof(features));
        }

        var id = SegmentId(hashes);
        var hexes = hashes.Select(h => h.Hex).ToArray();

        // Sized for the features at once: a segment is a few hundred kilobytes, and growing the buffer by doubling
        // would copy and discard most of that again, on the featurizer's cores, once per batch.
        await ParquetParts.WritePlainAsync(store, FeatureStoreLayout.Segment(id), SegmentColumns, checked((hashes.Count * dimension * sizeof(float)) + (hashes.Count * 80) + 4096), null, synced: true, async writer =>
        {
            await writer.WriteStringsAsync(hexes, cancellationToken);
            await writer.WriteFloatListsAsync(features.AsMemory(0, hashes.Count * dimension), hashes.Count, dimension, cancellationToken);
        }, cancellationToken);

        // Only now may anyone find these entries. Written column by column, as it is read.
        await ParquetParts.WritePlainAsync(store, FeatureStoreLayout.Index(id), IndexColumns, (hashes.Count * 80) + 4096, null, synced: true, async writer =>
        {
            await writer.WriteStringsAsync(hexes, cancellationToken);
            await writer.WriteInt32sAsync(Enumerable.Range(0, hashes.Count).ToArray(), cancellationToken);
            await writer.WriteOptionalStringsAsync([.. Enumerable.Range(0, hashes.Count).Select(r => versions?[r] is { } v ? ImageVersionKey.Format(v) : null)], cancellationToken);
        }, cancellationToken);

        index?.AddSegment(id, hashes, versions);
        return id;
    }

    /// <summary>The first 128 bits of the SHA-256 of the segment's hashes in row order.</summary>
    public static string SegmentId(IReadOnlyList<ContentHash> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var hash in hashes)
        {
            digest.AppendData(Encoding.ASCII.GetBytes(hash.Hex));
        }

        return Convert.ToHexStringLower(digest.GetHashAndReset())[..32];
    }

    /// <summary>
    /// An index file's hashes in row order, with each row's image version key when the file has that column; null when
    /// the file is missing, unreadable or not well-formed. A version that does not parse only loses its row that key.
    /// </summary>
    /// <remarks>
    /// Read column by column rather than through the row serializer: a job loads every index file of the store before
    /// its first batch, and the serializer's per-file cost was most of that wait.
    /// </remarks>
    private async Task<IndexedSegment?> TryReadIndexAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            using var buffer = await ParquetParts.ReadToMemoryAsync(store, FeatureStoreLayout.Index(id), cancellationToken);
            await using var reader = await ParquetReader.CreateAsync(buffer, cancellationToken: cancellationToken);
            var fields = reader.Schema.GetDataFields();
            if (fields.FirstOrDefault(f => f.Name == "sha256") is not { } hashField || fields.FirstOrDefault(f => f.Name == "row") is not { } rowField)
            {
                return null;
            }

            var versionField = fields.FirstOrDefault(f => f.Name == "image_version");
            var hashes = new List<ContentHash>();
            var versions = versionField is null ? null : new List<UInt128?>();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var count = checked((int)group.RowCount);
                var hexes = new string?[count];
                var rows = new int[count];
                await group.ReadAsync(hashField, hexes.AsMemory(), null, cancellationToken);
                await group.ReadAsync(rowField, rows.AsMemory(), null, cancellationToken);
                var keys = new string?[versionField is null ? 0 : count];
                if (versionField is not null)
                {
                    await group.ReadAsync(versionField, keys.AsMemory(), null, cancellationToken);
                }

                for (var i = 0; i < count; i++)
                {
                    if (rows[i] != hashes.Count || hexes[i] is not { } hex || ContentHash.Parse(hex) is not { } hash)
                    {
                        return null;
                    }

                    hashes.Add(hash);
                    versions?.Add(ImageVersionKey.Parse(keys[i]));
                }
            }

            return new IndexedSegment(id, hashes, versions);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // The store is a cache: an index that does not read only means its images are featurized again.
            return null;
        }
    }

    /// <summary>
    /// A segment's hashes and features; null when it is missing or torn, and then whether it is lost for good rather
    /// than unreadable for now. The features are in an array rented from the shared pool, which the caller returns: a
    /// job reads a segment per batch and keeps only the rows it copies out.
    /// </summary>
    private async Task<((string[] Hashes, float[] Features, int Dimension)? Segment, bool Lost)> TryReadSegmentAsync(string id, CancellationToken cancellationToken)
    {
        var key = FeatureStoreLayout.Segment(id);
        float[]? features = null;
        try
        {
            using var buffer = await ParquetParts.ReadToMemoryAsync(store, key, cancellationToken);
            await using var reader = await ParquetReader.CreateAsync(buffer, cancellationToken: cancellationToken);
            var fields = reader.Schema.GetDataFields();
            var hashField = fields.First(f => f.Path.ToString() == "sha256");
            var featureField = fields.First(f => f.Path.ToString().StartsWith("features", StringComparison.Ordinal));
            var hashes = new List<string>();
            var total = 0;
            var dimension = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var rows = checked((int)group.RowCount);
                var groupHashes = new string?[rows];
                await group.ReadAsync(hashField, groupHashes.AsMemory(), null, cancellationToken);
                hashes.AddRange(groupHashes.Select(h => h ?? ""));
                var values = FeatureParts.ListValueCount(group, featureField);
                if (features is null || features.Length < total + values)
                {
                    var grown = ArrayPool<float>.Shared.Rent(total + values);
                    if (features is not null)
                    {
                        features.AsSpan(0, total).CopyTo(grown);
                        ArrayPool<float>.Shared.Return(features);
                    }

                    features = grown;
                }

                dimension = await FeatureParts.ReadListAsync(buffer, group, featureField, rows, features.AsMemory(total, values), dimension, key, cancellationToken);
                total += values;
            }

            return (([.. hashes], features ?? ArrayPool<float>.Shared.Rent(0), dimension), false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Missing or torn: the hits it should have served are found elsewhere or featurized instead. A store that
            // failed for now (throttled, unreachable) says nothing about the segment.
            if (features is not null)
            {
                ArrayPool<float>.Shared.Return(features);
            }

            return (null, e is not StorageException { IsTransient: true });
        }
    }
}
