namespace Fruits.Pipeline.Storage;

/// <summary>What a local path names, as far as reading it as an image is concerned.</summary>
public enum FileKind
{
    Regular,
    Directory,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    SymbolicLink,
    Other,
}
