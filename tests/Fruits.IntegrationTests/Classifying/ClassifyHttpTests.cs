using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>POST /v1/classify and the thumbnails of `fruits serve`, a real process with an embedded silo.</summary>
[Collection(ClassifierCollection.Name)]
public sealed class ClassifyHttpTests(ClassifierFixture fixture)
{
    [Fact]
    public async Task Held_out_photos_are_classified_over_http()
    {
        var server = await fixture.ServerAsync();
        var correct = 0;
        var misses = new List<string>();
        foreach (var (photo, label) in fixture.HeldOut)
        {
            using var response = await PostAsync(server, "v1/classify?top=3", await File.ReadAllBytesAsync(photo));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            using var answer = JsonDocument.Parse(body);
            var top = answer.RootElement.GetProperty("labels")[0].GetProperty("label").GetString();
            Assert.Equal(3, answer.RootElement.GetProperty("nearest").GetArrayLength());
            if (top == label)
            {
                correct++;
            }
            else
            {
                misses.Add($"{photo}: {top}");
            }
        }

        Assert.True(correct >= 0.95 * fixture.HeldOut.Count, $"{correct} of {fixture.HeldOut.Count} right; wrong: {string.Join("; ", misses)}");
    }

    [Fact]
    public async Task Bad_requests_get_a_4xx_with_one_line_and_the_service_keeps_serving()
    {
        var server = await fixture.ServerAsync();
        var photo = await File.ReadAllBytesAsync(fixture.HeldOut[0].Path);

        await AssertRefusedAsync(server, "v1/classify", "<html>not a photo</html>"u8.ToArray(), HttpStatusCode.BadRequest, "not a decodable image (unknown or unsupported format)");
        await AssertRefusedAsync(server, "v1/classify", [], HttpStatusCode.BadRequest, "empty body: send the photo's bytes (JPEG, PNG, ...) as the request body");
        await AssertRefusedAsync(server, "v1/classify", new byte[ClassifierFixture.MaxBodyBytes + 1], HttpStatusCode.RequestEntityTooLarge,
            $"the photo is {ClassifierFixture.MaxBodyBytes + 1} bytes, over the {ClassifierFixture.MaxBodyBytes} byte limit");
        var missing = fixture.Combine("no-such-output");
        await AssertRefusedAsync(server, $"v1/classify?output={Uri.EscapeDataString(missing)}", photo, HttpStatusCode.NotFound, null);
        await AssertRefusedAsync(server, $"v1/classify?output={Uri.EscapeDataString(fixture.Input)}", photo, HttpStatusCode.NotFound, null);
        await AssertRefusedAsync(server, "v1/classify?top=0", photo, HttpStatusCode.BadRequest, "top must be within [1, 50], got 0");
        await AssertRefusedAsync(server, "v1/classify?top=51", photo, HttpStatusCode.BadRequest, "top must be within [1, 50], got 51");
        await AssertRefusedAsync(server, "v1/classify?top=five", photo, HttpStatusCode.BadRequest, "top must be a whole number, got 'five'");

        // Thumbnails: an indexed image is served; any other file, even one beside it, is refused.
        var indexed = fixture.PlantedFrom;
        using (var thumbnail = await server.Http.GetAsync($"v1/image?path={Uri.EscapeDataString(indexed)}"))
        {
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType?.MediaType);
            Assert.Equal(await File.ReadAllBytesAsync(indexed), await thumbnail.Content.ReadAsByteArrayAsync());
        }

        foreach (var path in new[] { fixture.HeldOut[0].Path, Path.Combine(fixture.Output, "pca_model.json"), "/etc/passwd", indexed + "/../../x.jpg" })
        {
            using var refused = await server.Http.GetAsync($"v1/image?path={Uri.EscapeDataString(path)}");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal($"{path} is not an image of {fixture.Output}", Error(await refused.Content.ReadAsStringAsync()));
        }

        using var ok = await PostAsync(server, "v1/classify", photo);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static async Task AssertRefusedAsync(ServeProcess server, string uri, byte[] body, HttpStatusCode status, string? reason)
    {
        using var response = await PostAsync(server, uri, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{uri}: {(int)response.StatusCode} {text}");
        var error = Error(text);
        Assert.DoesNotContain('\n', error);
        if (reason is not null)
        {
            Assert.Equal(reason, error);
        }
        else
        {
            Assert.Contains("no finished job", error, StringComparison.Ordinal);
        }
    }

    /// <summary>Expect: 100-continue, as a careful client sends a large body: a refusal arrives before the body is sent.</summary>
    private static Task<HttpResponseMessage> PostAsync(ServeProcess server, string uri, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        request.Headers.ExpectContinue = true;
        return server.Http.SendAsync(request);
    }

    private static string Error(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("error").GetString()!;
    }
}
