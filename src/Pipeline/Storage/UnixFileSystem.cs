using System.Runtime.InteropServices;

namespace Fruits.Pipeline.Storage;

/// <summary>
/// The few POSIX calls .NET does not expose: a file's type without opening it, fsync of a folder, and an atomic
/// create-if-absent with content (hard link). Linux only; callers fall back where these are unavailable.
/// </summary>
internal static partial class UnixFileSystem
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int OpenReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC, the same on x86-64 and arm64
    private const int FileTypeMask = 0xF000;

    public const int ErrorExists = 17; // EEXIST

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// The type of what <paramref name="path"/> names after following links, read with statx, whose layout is
    /// the same on every Linux architecture; null when the call is unavailable.
    /// </summary>
    public static FileKind? TryGetKind(string path, out int errno)
    {
        errno = 0;
        if (!IsSupported)
        {
            return null;
        }

        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, out var status) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }

            return (status.Mode & FileTypeMask) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0xC000 => FileKind.Socket,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0xA000 => FileKind.SymbolicLink,
                _ => FileKind.Other,
            };
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Makes a folder's entries (a rename, a new or removed file) durable; a no-op where unsupported.</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!IsSupported)
        {
            return;
        }

        var fd = Open(directory, OpenReadOnlyCloseOnExec, 0);
        if (fd < 0)
        {
            throw new IOException($"{directory}: cannot open the folder to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"{directory}: fsync of the folder failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>A second name for an existing file; fails with EEXIST, never replacing, when the new name exists.</summary>
    public static int TryLink(string existing, string newPath)
    {
        if (Link(existing, newPath) == 0)
        {
            return 0;
        }

        return Marshal.GetLastPInvokeError();
    }

    /// <summary>The canonical absolute path with every symlink resolved; null when it does not exist or cannot be read.</summary>
    public static string? TryRealPath(string path)
    {
        if (!IsSupported)
        {
            return null;
        }

        var resolved = RealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer status);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    /// <summary>struct statx: 256 bytes on every architecture; only the mode is read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;
    }
}
