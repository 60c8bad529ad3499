using SkiaSharp;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>The page of `fruits serve` in headless Chromium: a person picks a photo and sees the fruit.</summary>
[Collection(ClassifierCollection.Name)]
public sealed class ClassifyPageTests(ClassifierFixture fixture)
{
    [Fact]
    public async Task Picking_a_photo_on_the_page_shows_its_fruit_and_the_nearest_images()
    {
        var server = await fixture.ServerAsync();
        var (photo, label) = fixture.HeldOut[3];
        await using var browser = await DevToolsBrowser.StartAsync();

        await browser.NavigateAsync($"http://127.0.0.1:{server.Port}/");
        var index = await browser.WaitForAsync("document.getElementById('index').textContent", TimeSpan.FromSeconds(30));
        Assert.Contains($"{(ClassifierFixture.Labels * ClassifierFixture.PerLabel) + 1} images of {ClassifierFixture.Labels} fruits", index, StringComparison.Ordinal);

        await browser.ChooseFileAsync("#file", photo);
        var top = await browser.WaitForAsync("document.body.dataset.top", TimeSpan.FromSeconds(60));
        Assert.Equal(label, top);
        Assert.StartsWith(label + " ", (string?)await browser.EvaluateAsync("document.querySelector('#labels li').textContent"), StringComparison.Ordinal);
        // Every thumbnail came through the image endpoint and decoded.
        await browser.WaitForAsync(
            "[...document.querySelectorAll('#nearest img')].length === 5 && [...document.querySelectorAll('#nearest img')].every(i => i.complete && i.naturalWidth > 0)",
            TimeSpan.FromSeconds(30));

        var screenshot = await browser.ScreenshotAsync();
        File.WriteAllBytes(fixture.Combine("classify-page.png"), screenshot);
        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width >= 800 && bitmap.Height >= 600, $"{bitmap.Width}x{bitmap.Height}");
        // Not a blank page: the photo and thumbnails put many colours on it.
        var colours = new HashSet<SKColor>();
        for (var y = 0; y < bitmap.Height; y += 4)
        {
            for (var x = 0; x < bitmap.Width; x += 4)
            {
                colours.Add(bitmap.GetPixel(x, y));
            }
        }

        Assert.True(colours.Count > 500, $"{colours.Count} colours in the screenshot");
    }
}
