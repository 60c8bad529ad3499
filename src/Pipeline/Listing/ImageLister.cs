using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Listing;

/// <summary>
/// A job's first step: every *.jpg / *.jpeg under the input, recursively, in a deterministic
/// order, labelled with the name of its parent folder.
/// </summary>
public sealed class ImageLister
{
    public async IAsyncEnumerable<ImageEntry> ListAsync(IObjectStore store, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in store.ListAsync(string.Empty, cancellationToken))
        {
            if (IsImage(item.Key))
            {
                yield return new ImageEntry(item.Key, store.DescribeKey(item.Key), LabelOf(item.Key, store.Root), item.Version);
            }
        }
    }

    public static bool IsImage(string key) =>
        key.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || key.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase);

    /// <summary>The parent folder's name; an image directly under the root takes the root folder's name.</summary>
    public static string LabelOf(string key, string root)
    {
        var slash = key.LastIndexOf('/');
        if (slash > 0)
        {
            var parent = key[..slash];
            return parent[(parent.LastIndexOf('/') + 1)..];
        }

        var trimmed = root.TrimEnd('/', System.IO.Path.DirectorySeparatorChar);
        return trimmed[(trimmed.LastIndexOfAny(['/', System.IO.Path.DirectorySeparatorChar]) + 1)..];
    }
}
