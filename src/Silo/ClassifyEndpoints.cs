using System.Text.Json;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Silo;

/// <summary>
/// POST /v1/classify (photo bytes in, JSON out), GET /v1/image (an indexed image, for the page's thumbnails), GET /v1/index
/// and GET / (the page). Every refusal is a 4xx with one line of JSON: {"error": reason}.
/// </summary>
public sealed partial class ClassifyEndpoints(
    IGrainFactory grains,
    IObjectStoreFactory stores,
    IOptions<ClassifyHostingOptions> options,
    ILogger<ClassifyEndpoints> logger)
{
    private readonly ClassifyHostingOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        try
        {
            switch (request.Path.Value)
            {
                case "/" when HttpMethods.IsGet(request.Method):
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync(ClassifyPage.Html, context.RequestAborted);
                    return;
                case "/v1/classify" when HttpMethods.IsPost(request.Method):
                    await ClassifyAsync(context);
                    return;
                case "/v1/image" when HttpMethods.IsGet(request.Method):
                    await ImageAsync(context);
                    return;
                case "/v1/index" when HttpMethods.IsGet(request.Method):
                    await IndexAsync(context);
                    return;
                case "/" or "/v1/classify" or "/v1/image" or "/v1/index":
                    await RefuseAsync(context, StatusCodes.Status405MethodNotAllowed, $"{request.Method} is not allowed on {request.Path}");
                    return;
                default:
                    await RefuseAsync(context, StatusCodes.Status404NotFound, $"no such endpoint: {request.Path}");
                    return;
            }
        }
        catch (Refusal refusal)
        {
            await RefuseAsync(context, refusal.Status, refusal.Message);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            LogFailed(request.Method, request.Path.Value ?? "", e);
            await RefuseAsync(context, StatusCodes.Status500InternalServerError, $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private async Task ClassifyAsync(HttpContext context)
    {
        var output = Output(context.Request);
        var top = Top(context.Request);
        var image = await BodyAsync(context);
        var result = await grains.GetGrain<IClassifyGrain>(0).Classify(output, image, top);
        if (result.Problem != ClassifyProblem.None)
        {
            throw new Refusal(Status(result.Problem), result.Reason ?? result.Problem.ToString());
        }

        await context.Response.WriteAsJsonAsync(ClassifyJson.Answer(output, result), ClassifyJson.Options, context.RequestAborted);
    }

    private async Task IndexAsync(HttpContext context)
    {
        var output = Output(context.Request);
        var summary = await grains.GetGrain<IOutputIndexGrain>(output).Open();
        if (!summary.Found)
        {
            throw new Refusal(StatusCodes.Status404NotFound, summary.Problem!);
        }

        await context.Response.WriteAsJsonAsync(
            new { output, rows = summary.Rows, dimensions = summary.Dimensions, shards = summary.Shards, labels = summary.Labels, bytes_per_row = Math.Round(summary.BytesPerRow, 1) },
            ClassifyJson.Options, context.RequestAborted);
    }

    /// <summary>Only a path the output's index holds is read: the endpoint can never be pointed at any other file.</summary>
    private async Task ImageAsync(HttpContext context)
    {
        var output = Output(context.Request);
        var path = context.Request.Query["path"].ToString();
        if (path.Length == 0)
        {
            throw new Refusal(StatusCodes.Status400BadRequest, "give the image as ?path=");
        }

        var index = grains.GetGrain<IOutputIndexGrain>(output);
        var summary = await index.Open();
        if (!summary.Found)
        {
            throw new Refusal(StatusCodes.Status404NotFound, summary.Problem!);
        }

        if (!await index.Contains(path))
        {
            throw new Refusal(StatusCodes.Status403Forbidden, $"{path} is not an image of {output}");
        }

        var slash = path.LastIndexOf('/');
        var store = stores.Open(StorageLocation.Parse(path[..slash]));
        var bytes = await store.ReadAllBytesAsync(path[(slash + 1)..], _options.MaxBodyBytes, context.RequestAborted);
        context.Response.ContentType = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".gif" => "image/gif",
            ".webp" => "image/webp",
            ".bmp" => "image/bmp",
            _ => "image/jpeg",
        };
        context.Response.Headers.CacheControl = "private, max-age=3600";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private string Output(HttpRequest request)
    {
        var value = request.Query["output"].ToString();
        if (value.Length == 0)
        {
            value = _options.Output;
        }

        if (value.Length == 0)
        {
            throw new Refusal(StatusCodes.Status400BadRequest, "give the finished job's output as ?output=PATH or s3://bucket/prefix");
        }

        try
        {
            return StorageLocation.Parse(value).Uri;
        }
        catch (StorageException e)
        {
            throw new Refusal(StatusCodes.Status400BadRequest, e.Message.ReplaceLineEndings(" "));
        }
    }

    private static int Top(HttpRequest request)
    {
        var value = request.Query["top"].ToString();
        if (value.Length == 0)
        {
            return 5;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var top)
            ? top
            : throw new Refusal(StatusCodes.Status400BadRequest, $"top must be a whole number, got '{value}'");
    }

    /// <summary>The photo, refused before it is read when its declared length is over the limit, and while it is read when it has none.</summary>
    private async Task<byte[]> BodyAsync(HttpContext context)
    {
        var limit = _options.MaxBodyBytes;
        var declared = context.Request.ContentLength;
        if (declared > limit)
        {
            throw new Refusal(StatusCodes.Status413PayloadTooLarge, $"the photo is {declared} bytes, over the {limit} byte limit");
        }

        if (declared == 0)
        {
            throw new Refusal(StatusCodes.Status400BadRequest, "empty body: send the photo's bytes (JPEG, PNG, ...) as the request body");
        }

        using var buffer = new MemoryStream(declared is { } length ? (int)length : 64 * 1024);
        var chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new Refusal(StatusCodes.Status413PayloadTooLarge, $"the photo is over the {limit} byte limit");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.Length == 0
            ? throw new Refusal(StatusCodes.Status400BadRequest, "empty body: send the photo's bytes (JPEG, PNG, ...) as the request body")
            : buffer.ToArray();
    }

    private static int Status(ClassifyProblem problem) => problem switch
    {
        ClassifyProblem.OutputNotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status400BadRequest,
    };

    private async Task RefuseAsync(HttpContext context, int status, string reason)
    {
        LogRefused(context.Request.Method, context.Request.Path.Value ?? "", status, reason);
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(ClassifyJson.Error(reason.ReplaceLineEndings(" ")), ClassifyJson.Options, context.RequestAborted);
    }

    private sealed class Refusal(int status, string reason) : Exception(reason)
    {
        public int Status { get; } = status;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Classify {Method} {Path}: {Status} {Reason}")]
    private partial void LogRefused(string method, string path, int status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Classify {Method} {Path} failed")]
    private partial void LogFailed(string method, string path, Exception exception);
}
