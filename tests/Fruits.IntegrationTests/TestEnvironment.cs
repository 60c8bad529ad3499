using System.Runtime.CompilerServices;

namespace Fruits.IntegrationTests;

/// <summary>
/// Settings every silo of the test run sees, in this process and in the silo and client processes it starts:
/// job records in a folder of this run (never the user's own job store), and unfinished jobs checked every few
/// seconds instead of every minute so resumption tests wait on it briefly.
/// </summary>
internal static class TestEnvironment
{
    public static string JobStore { get; } = Path.Combine(Path.GetTempPath(), $"fruits-test-jobs-{Environment.ProcessId}");

#pragma warning disable CA2255 // The test assembly is the process's entry point for these settings; nothing else loads it.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        Environment.SetEnvironmentVariable("Fruits__Jobs__LocalStorePath", JobStore);
        Environment.SetEnvironmentVariable("Fruits__Jobs__ResumeCheckPeriod", "00:00:05");
    }
}
