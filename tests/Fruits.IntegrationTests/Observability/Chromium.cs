using Fruits.IntegrationTests.Deploy;

namespace Fruits.IntegrationTests.Observability;

/// <summary>Debian's headless chromium, rendering a page (scripts run) and returning its DOM.</summary>
public static class Chromium
{
    public static string Find() =>
        DeployFiles.FindOnPath("chromium") ?? DeployFiles.FindOnPath("chromium-browser")
        ?? throw new Xunit.Sdk.XunitException("chromium is not on PATH: install it with `apt-get install -y chromium` (.ci/run does this before the tests)");

    /// <summary>The DOM after the page's scripts ran for <paramref name="virtualTime"/> of virtual time.</summary>
    public static async Task<string> DumpDomAsync(string url, TimeSpan virtualTime)
    {
        var profile = Directory.CreateTempSubdirectory("fruits-chromium");
        try
        {
            var (exit, dom, stderr) = await DeployFiles.RunAsync(Find(),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                $"--user-data-dir={profile.FullName}",
                $"--virtual-time-budget={(int)virtualTime.TotalMilliseconds}",
                "--dump-dom", url,
            ], timeout: TimeSpan.FromMinutes(2));
            Assert.True(exit == 0, $"chromium exited {exit} on {url}:\n{stderr}");
            return dom;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
