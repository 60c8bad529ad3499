namespace Fruits.Pipeline.Storage;

public sealed class ObjectStoreFactory : IObjectStoreFactory
{
    public IObjectStore Open(StorageLocation location) => location.IsS3
        ? throw new StorageException($"{location}: S3 locations are not supported yet")
        : new LocalObjectStore(location.Uri);
}
