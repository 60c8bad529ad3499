using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SkiaSharp;

namespace Fruits.Pipeline.Imaging;

/// <summary>
/// Decodes JPEG/PNG/GIF/WebP/BMP bytes with Skia into RGB888 the way Pillow's <c>Image.open(p).convert('RGB')</c> sees it:
/// first frame, no EXIF rotation, no colour management, alpha dropped, grey and CMYK expanded to RGB.
/// Owns reusable pixel buffers; not thread-safe.
/// </summary>
public sealed class ImageDecoder(ImageLimits limits)
{
    // Buffers above this are used for the one image and then dropped, so a rare huge input
    // does not pin hundreds of MB to a worker for its lifetime.
    private const long RetainedBufferBytes = 32L * 1024 * 1024;

    private byte[] _rgba = [];
    private byte[] _rgb = [];

    public ImageLimits Limits { get; } = limits;

    /// <exception cref="ImageDecodeException">The bytes are not a usable image; the message is one readable line.</exception>
    public unsafe DecodedRgb Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty) throw new ImageDecodeException("empty file (0 bytes)");
        if (encoded.Length > Limits.MaxBytes)
            throw new ImageDecodeException($"file is {encoded.Length} bytes, over the {Limits.MaxBytes} byte limit");

        fixed (byte* data = encoded)
        {
            // Wraps the caller's bytes without copying (no release proc); codec, stream and data are released before the pin ends.
            var skData = SkiaCodecNative.DataNewWithProc((IntPtr)data, (nuint)encoded.Length, IntPtr.Zero, IntPtr.Zero);
            var codec = IntPtr.Zero;
            try
            {
                var createResult = 0;
                codec = SkiaCodecNative.CodecNewFromStream(SkiaCodecNative.MemoryStreamNewWithData(skData), &createResult);
                if (codec == IntPtr.Zero) throw new ImageDecodeException(CreateFailure((SKCodecResult)createResult));

                SkiaCodecNative.ImageInfo info;
                SkiaCodecNative.CodecGetInfo(codec, &info);
                var width = info.Width;
                var height = info.Height;
                // Checked on the header's declared size, before any pixel memory exists.
                if (Limits.Check(width, height) is { } refused) throw new ImageDecodeException(refused);
                var pixels = (long)width * height;
                if (pixels * 4 > Array.MaxLength)
                    throw new ImageDecodeException($"image is {width}x{height} = {pixels} pixels, too large to decode in one buffer");

                // Unpremul keeps the stored colour of translucent pixels, which is what convert('RGB') keeps.
                // A null colour space means no ICC/gamma conversion, as Pillow does none.
                var target = new SkiaCodecNative.ImageInfo
                {
                    ColorSpace = IntPtr.Zero,
                    Width = width,
                    Height = height,
                    ColorType = SkiaCodecNative.Rgba8888ColorType,
                    AlphaType = SkiaCodecNative.UnpremulAlphaType,
                };
                // First frame, no prior frame; get_pixels never applies EXIF orientation, and Pillow does not either.
                var options = new SkiaCodecNative.CodecOptions { ZeroInitialized = 0, Subset = IntPtr.Zero, FrameIndex = 0, PriorFrame = -1 };
                var rgba = Rent(ref _rgba, pixels * 4);
                SKCodecResult result;
                fixed (byte* rgbaPtr = rgba)
                {
                    result = (SKCodecResult)SkiaCodecNative.CodecGetPixels(codec, &target, (IntPtr)rgbaPtr, (nuint)(width * 4), &options);
                }

                if (result != SKCodecResult.Success) throw new ImageDecodeException(DecodeFailure(result));

                var rgb = Rent(ref _rgb, pixels * 3);
                PackRgb(rgba, rgb, (int)pixels);
                return new DecodedRgb(rgb.AsSpan(0, (int)(pixels * 3)), width, height);
            }
            finally
            {
                if (codec != IntPtr.Zero) SkiaCodecNative.CodecDestroy(codec);
                SkiaCodecNative.DataUnref(skData);
            }
        }
    }

    private static byte[] Rent(ref byte[] retained, long length)
    {
        if (retained.Length >= length) return retained;
        var buffer = GC.AllocateUninitializedArray<byte>((int)length);
        if (length <= RetainedBufferBytes) retained = buffer;
        return buffer;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackRgb(byte[] rgba, byte[] rgb, int pixels)
    {
        fixed (byte* s = rgba)
        fixed (byte* d = rgb)
        {
            byte* src = s, dst = d;
            var i = 0;
            if (Ssse3.IsSupported)
            {
                // 4 pixels per shuffle; each 16-byte store carries 4 spare bytes that the next store overwrites,
                // so the vector loop stops while a whole store still fits in the buffer.
                var drop = Vector128.Create(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, (byte)0x80);
                for (; i + 6 <= pixels; i += 4, src += 16, dst += 12)
                {
                    Ssse3.Shuffle(Vector128.Load(src), drop).Store(dst);
                }
            }

            for (; i < pixels; i++, src += 4, dst += 3)
            {
                dst[0] = src[0];
                dst[1] = src[1];
                dst[2] = src[2];
            }
        }
    }

    private static string CreateFailure(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "truncated image data (incomplete header)",
        SKCodecResult.ErrorInInput => "corrupt image header",
        _ => "not a decodable image (unknown or unsupported format)",
    };

    private static string DecodeFailure(SKCodecResult result) => result switch
    {
        // Pillow raises "image file is truncated" here by default, so a partial image is an error, not a grey-filled result.
        SKCodecResult.IncompleteInput => "truncated image data",
        SKCodecResult.ErrorInInput => "corrupt image data",
        SKCodecResult.InvalidConversion => "image pixel format cannot be converted to RGB",
        _ => $"image could not be decoded ({result})",
    };
}
