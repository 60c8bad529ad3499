using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Reuse;

/// <summary>Where a job's feature store is: the one it names, else the default beside its output.</summary>
public static class FeatureStoreLocation
{
    /// <summary>The default store's folder name, beside the output folder (or S3 prefix).</summary>
    public const string DefaultName = "fruits-feature-store";

    /// <summary>A sibling of <paramref name="output"/> in the same store: all of a user's outputs in one place share it.</summary>
    public static StorageLocation BesideOutput(StorageLocation output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.IsS3)
        {
            var (bucket, prefix) = ObjectStoreFactory.SplitS3(output.Uri);
            var slash = prefix.LastIndexOf('/');
            var parent = slash < 0 ? "" : prefix[..slash] + "/";
            return new StorageLocation($"s3://{bucket}/{parent}{DefaultName}");
        }

        var folder = Path.GetDirectoryName(output.Uri.TrimEnd(Path.DirectorySeparatorChar)) ?? output.Uri;
        return new StorageLocation(Path.Combine(folder, DefaultName));
    }

    /// <summary>The folder of <paramref name="key"/>'s namespace inside the store at <paramref name="root"/>.</summary>
    public static StorageLocation Namespace(StorageLocation root, FeatureStoreKey key)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(key);
        return root.IsS3
            ? new StorageLocation($"{root.Uri.TrimEnd('/')}/{key.Prefix}")
            : new StorageLocation(Path.Combine(root.Uri, key.Prefix.Replace('/', Path.DirectorySeparatorChar)));
    }
}
