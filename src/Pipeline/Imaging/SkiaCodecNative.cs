using System.Runtime.InteropServices;

namespace Fruits.Pipeline.Imaging;

/// <summary>
/// The few entry points of libSkiaSharp's C API that decoding needs, called directly: SkiaSharp's managed
/// SKData/SKMemoryStream/SKCodec wrappers allocate about 1.3 KB of objects and handle-table entries per
/// image, which the featurizer's hot path must not. The native library is the one SkiaSharp ships and loads.
/// </summary>
internal static partial class SkiaCodecNative
{
    private const string Library = "libSkiaSharp";

    // sk_colortype_t and sk_alphatype_t values from SkiaSharp's sk_types.h.
    public const int Rgba8888ColorType = 4;
    public const int UnpremulAlphaType = 3;

    [StructLayout(LayoutKind.Sequential)]
    public struct ImageInfo
    {
        public IntPtr ColorSpace;
        public int Width;
        public int Height;
        public int ColorType;
        public int AlphaType;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CodecOptions
    {
        public int ZeroInitialized;
        public IntPtr Subset;
        public int FrameIndex;
        public int PriorFrame;
    }

    [LibraryImport(Library, EntryPoint = "sk_data_new_with_proc")]
    public static partial IntPtr DataNewWithProc(IntPtr pointer, nuint length, IntPtr releaseProc, IntPtr context);

    [LibraryImport(Library, EntryPoint = "sk_data_unref")]
    public static partial void DataUnref(IntPtr data);

    /// <summary>Refs the data; the stream is then owned by the codec created from it.</summary>
    [LibraryImport(Library, EntryPoint = "sk_memorystream_new_with_skdata")]
    public static partial IntPtr MemoryStreamNewWithData(IntPtr data);

    /// <summary>Takes ownership of the stream, also when it fails and returns null.</summary>
    [LibraryImport(Library, EntryPoint = "sk_codec_new_from_stream")]
    public static unsafe partial IntPtr CodecNewFromStream(IntPtr stream, int* result);

    [LibraryImport(Library, EntryPoint = "sk_codec_get_info")]
    public static unsafe partial void CodecGetInfo(IntPtr codec, ImageInfo* info);

    [LibraryImport(Library, EntryPoint = "sk_codec_get_pixels")]
    public static unsafe partial int CodecGetPixels(IntPtr codec, ImageInfo* info, IntPtr pixels, nuint rowBytes, CodecOptions* options);

    [LibraryImport(Library, EntryPoint = "sk_codec_destroy")]
    public static partial void CodecDestroy(IntPtr codec);
}
