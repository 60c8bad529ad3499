namespace Fruits.Pipeline.Storage;

/// <summary>Opens the store behind a location; one per process, shared by all grains.</summary>
public interface IObjectStoreFactory
{
    IObjectStore Open(StorageLocation location);
}
