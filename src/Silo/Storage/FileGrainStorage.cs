using System.Text;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Fruits.Silo.Storage;

/// <summary>
/// Grain state in local files, for the embedded and single-machine silos: one file per grain and state name,
/// written atomically (temp file, fsync, rename) and etag-checked under a lock file, so several processes of one
/// user can share the folder without losing a write.
/// </summary>
public sealed class FileGrainStorage(string name, FileGrainStorageOptions options, Serializer serializer) : IGrainStorage
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        if (!File.Exists(path))
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        var (etag, payload) = Decode(await File.ReadAllBytesAsync(path));
        grainState.State = serializer.Deserialize<T>(payload);
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var payload = serializer.SerializeToArray(grainState.State);
        await using var exclusive = await LockAsync(path);
        var stored = File.Exists(path) ? Decode(await File.ReadAllBytesAsync(path)).ETag : null;
        if (stored != grainState.ETag)
        {
            throw new InconsistentStateException($"{name}: {grainId} was written by someone else (stored etag {stored ?? "none"}, ours {grainState.ETag ?? "none"})", stored ?? "", grainState.ETag ?? "");
        }

        var etag = Guid.NewGuid().ToString("N");
        WriteDurably(path, Encode(etag, payload));
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        await using (await LockAsync(path))
        {
            File.Delete(path);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private string PathOf(string stateName, GrainId grainId)
    {
        // Grain ids hold '/' and other characters a file name cannot; hex keeps every id distinct and portable.
        var file = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(grainId.ToString()));
        return Path.Combine(options.Directory, stateName, file.Length > 200 ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(grainId.ToString()))) : file);
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }
        }
    }

    private static void WriteDurably(string path, byte[] content)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static byte[] Encode(string etag, byte[] payload)
    {
        var header = Encoding.ASCII.GetBytes(etag + "\n");
        return [.. header, .. payload];
    }

    private static (string ETag, byte[] Payload) Decode(byte[] content)
    {
        var newline = Array.IndexOf(content, (byte)'\n');
        if (newline <= 0)
        {
            throw new InvalidDataException("grain state file has no etag header");
        }

        return (Encoding.ASCII.GetString(content, 0, newline), content[(newline + 1)..]);
    }
}
