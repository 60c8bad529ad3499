using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fruits.Grains;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>A running `fruits serve` picks up its output rewritten underneath it, and keeps answering meanwhile.</summary>
[Collection(ClassifierCollection.Name)]
public sealed class ClassifyRecheckTests(ClassifierFixture fixture) : IDisposable
{
    private const string RecheckInterval = "00:00:02";

    // Many times the recheck interval: a rewrite that is noticed at all is noticed well before it.
    private static readonly TimeSpan PickUpDeadline = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new("fruits-classify-recheck");

    [Fact]
    public async Task A_refit_in_place_is_picked_up_by_a_running_serve_which_answers_throughout()
    {
        // A copy of the shared output: refitting the shared one would change the k its other tests see.
        var output = _temp.Combine("output");
        CopyFolder(fixture.Output, output);
        var photo = await File.ReadAllBytesAsync(fixture.HeldOut[0].Path);
        var labels = fixture.HeldOut.Select(h => h.Label).ToHashSet(StringComparer.Ordinal);

        await using var server = await ServeProcess.StartAsync(output, new Dictionary<string, string> { ["Fruits__Classify__RecheckInterval"] = RecheckInterval });
        var first = await ClassifyAsync(server, output, photo);
        Assert.True(first.Status == HttpStatusCode.OK, first.Body);
        Assert.True(first.Label is not null && labels.Contains(first.Label), first.Body);
        var (k1, rows) = (first.Dimensions, first.IndexRows);
        Assert.Equal((k1, rows), await IndexAsync(server, output));

        // Any other k that the output's rows can support; the rows themselves stay the same. What `fruits refit OUTPUT
        // --k` runs, run here: over in a fraction of the recheck interval, so the first requests after it can find the
        // index and the classifier's kept model on either side of the rewrite.
        var k2 = k1 > 3 ? k1 - 2 : k1 + 2;
        var store = new LocalObjectStore(output);
        var refit = new OutputRefit(store, store);
        await refit.RunAsync(new PcaSelection(FixedK: k2), await refit.CheckAsync());

        // The service must keep answering across the rewrite: every answer is kept to show which were not.
        var answers = new List<Answer>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < PickUpDeadline)
        {
            var answer = await ClassifyAsync(server, output, photo);
            answers.Add(answer);
            if (answer.Status == HttpStatusCode.OK && answer.Dimensions == k2)
            {
                break;
            }

            await Task.Delay(250);
        }

        var log = string.Join("\n", answers.Select(a => $"{(int)a.Status} k={a.Dimensions} top '{a.Label}' {(a.Status == HttpStatusCode.OK ? "" : a.Body)}"));
        Assert.True(answers[^1].Dimensions == k2, $"still k = {answers[^1].Dimensions} rather than {k2} after {clock.Elapsed.TotalSeconds:F0} s of {answers.Count} requests:\n{log}\nserve:\n{server.Output}");
        Assert.All(answers, a =>
        {
            Assert.True(a.Status == HttpStatusCode.OK, $"a request failed while the rewrite was picked up:\n{log}\nserve:\n{server.Output}");
            Assert.True(a.Label is not null && labels.Contains(a.Label), $"not a label of the output: {a.Body}");
            Assert.Equal(rows, a.IndexRows);
        });
        Assert.Equal((k2, rows), await IndexAsync(server, output));
    }

    public void Dispose() => _temp.Dispose();

    private sealed record Answer(HttpStatusCode Status, string Body, int Dimensions, long IndexRows, string? Label);

    private static async Task<Answer> ClassifyAsync(ServeProcess server, string output, byte[] photo)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/classify?output={Uri.EscapeDataString(output)}") { Content = new ByteArrayContent(photo) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await server.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new Answer(response.StatusCode, body, 0, 0, null);
        }

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var top = root.GetProperty("labels") is { ValueKind: JsonValueKind.Array } labels && labels.GetArrayLength() > 0 ? labels[0].GetProperty("label").GetString() : null;
        return new Answer(response.StatusCode, body, root.GetProperty("dimensions").GetInt32(), root.GetProperty("index_rows").GetInt64(), top);
    }

    private static async Task<(int Dimensions, long Rows)> IndexAsync(ServeProcess server, string output)
    {
        using var response = await server.Http.GetAsync($"v1/index?output={Uri.EscapeDataString(output)}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("dimensions").GetInt32(), json.RootElement.GetProperty("rows").GetInt64());
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }
}
