namespace Fruits.Pipeline.Storage;

public readonly record struct StoredObject(string Key, long Size);
