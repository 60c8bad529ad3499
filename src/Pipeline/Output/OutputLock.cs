using System.Text.Json;
using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Output;

/// <summary>
/// One job at a time per output location: <see cref="OutputLayout.Lock"/> names the holder. Taking it is a
/// create-new of the lock object, so of any number of concurrent takers exactly one succeeds; replacing or
/// removing it is a delete conditional on the exact lock that was read, so nobody removes a lock taken after
/// they looked. Whether a holder is stale (its silo is gone) is the caller's judgement.
/// </summary>
public static class OutputLock
{
    private const long MaxLockBytes = 64 * 1024;
    private const int Attempts = 3;

    /// <summary>Takes the lock for <paramref name="jobId"/>.</summary>
    /// <returns>Null when the lock is now held by this job (taken, or already this job's: a resume); otherwise the other holder.</returns>
    public static async Task<OutputLockHolder?> TryAcquireAsync(IObjectStore store, string jobId, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (await store.TryCreateNewAsync(OutputLayout.Lock, Serialize(jobId, owner), cancellationToken))
            {
                return null;
            }

            if (await ReadAsync(store, cancellationToken) is { } held)
            {
                return held.Holder.JobId == jobId ? null : held.Holder;
            }

            // Released between the create and the read: try again.
        }

        throw new StorageException($"{store.DescribeKey(OutputLayout.Lock)}: the lock was taken and released {Attempts} times while acquiring it", isTransient: true);
    }

    /// <summary>The current holder, or null when nobody holds the output.</summary>
    public static async Task<OutputLockHolder?> ReadHolderAsync(IObjectStore store, CancellationToken cancellationToken = default) =>
        (await ReadAsync(store, cancellationToken))?.Holder;

    /// <summary>
    /// Replaces a holder the caller judged stale: deletes the lock only if it still names <paramref name="staleHolder"/>,
    /// then takes it with a create-new. Of two callers taking over the same stale holder, exactly one gets null.
    /// </summary>
    /// <returns>Null when this job now holds the lock; otherwise whoever holds it.</returns>
    public static async Task<OutputLockHolder?> TakeOverAsync(IObjectStore store, OutputLockHolder staleHolder, string jobId, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(staleHolder);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (await ReadAsync(store, cancellationToken) is { } held)
        {
            if (held.Holder != staleHolder)
            {
                return held.Holder.JobId == jobId ? null : held.Holder;
            }

            // False means another taker deleted it first; the create-new below then decides between us.
            await store.TryDeleteIfMatchAsync(OutputLayout.Lock, held.MatchTag, cancellationToken);
        }

        return await TryAcquireAsync(store, jobId, owner, cancellationToken);
    }

    /// <summary>Deletes the lock if it names <paramref name="jobId"/>; a lock someone else took is left alone.</summary>
    /// <returns>Whether a lock of this job was removed.</returns>
    public static async Task<bool> ReleaseAsync(IObjectStore store, string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await ReadAsync(store, cancellationToken) is { } held
            && held.Holder.JobId == jobId
            && await store.TryDeleteIfMatchAsync(OutputLayout.Lock, held.MatchTag, cancellationToken);
    }

    private static byte[] Serialize(string jobId, string owner) =>
        JsonSerializer.SerializeToUtf8Bytes(new OutputLockHolder(jobId, owner, DateTimeOffset.UtcNow));

    private static async Task<(OutputLockHolder Holder, string MatchTag)?> ReadAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        var stored = await store.TryReadVersionedAsync(OutputLayout.Lock, MaxLockBytes, cancellationToken);
        if (stored is null)
        {
            return null;
        }

        OutputLockHolder? holder;
        try
        {
            holder = JsonSerializer.Deserialize<OutputLockHolder>(stored.Content);
        }
        catch (JsonException)
        {
            holder = null;
        }

        return (holder is { JobId.Length: > 0, Owner: not null } ? holder : OutputLockHolder.Unreadable, stored.MatchTag);
    }
}
