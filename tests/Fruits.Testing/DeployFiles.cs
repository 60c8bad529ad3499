using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Fruits.Testing;

/// <summary>The deployment files, and a small reader for the CloudFormation template's resources.</summary>
public static partial class DeployFiles
{
    public static string EcsFolder => Path.Combine(TestPaths.RepoRoot, "deploy", "ecs");

    public static string TemplatePath => Path.Combine(EcsFolder, "fruits-cluster.yaml");

    public static string DockerfilePath => Path.Combine(EcsFolder, "Dockerfile");

    /// <summary>
    /// Logical id -> (Type, text) of each resource in the template. Indentation based on purpose (no YAML library, so the
    /// CloudFormation short tags !Ref/!Sub/!GetAtt need no handling): a resource starts at a 2-space "Name:" line under
    /// the top-level "Resources:" key and runs until the next such line or the next top-level key.
    /// </summary>
    public static IReadOnlyDictionary<string, (string Type, string Text)> Resources()
    {
        var resources = new Dictionary<string, (string Type, string Text)>(StringComparer.Ordinal);
        string? current = null;
        var text = new StringBuilder();
        var inResources = false;

        void Flush()
        {
            if (current is not null)
            {
                var block = text.ToString();
                var type = ResourceType().Match(block);
                resources[current] = (type.Success ? type.Groups[1].Value : "", block);
            }

            current = null;
            text.Clear();
        }

        foreach (var line in File.ReadAllLines(TemplatePath))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && !line.StartsWith('#'))
            {
                Flush();
                inResources = line.TrimEnd() == "Resources:";
                continue;
            }

            if (!inResources)
            {
                continue;
            }

            var start = ResourceStart().Match(line);
            if (start.Success)
            {
                Flush();
                current = start.Groups[1].Value;
                continue;
            }

            if (current is not null)
            {
                text.AppendLine(line);
            }
        }

        Flush();
        return resources;
    }

    public static (string Type, string Text) Resource(string logicalId) =>
        Resources().TryGetValue(logicalId, out var resource) ? resource
            : throw new Xunit.Sdk.XunitException($"resource {logicalId} not found in {TemplatePath}");

    /// <summary>
    /// Key -> raw value of a template parameter's own settings (Type, Default, AllowedPattern, ...), quotes removed,
    /// read from its block under the top-level "Parameters:" key.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Parameter(string name)
    {
        var block = Regex.Match(File.ReadAllText(TemplatePath).ReplaceLineEndings("\n"), $@"(?m)^  {Regex.Escape(name)}:[ ]*\n((?:(?:    .*)?\n)+?)(?=^  \S|^\S)");
        if (!block.Success)
        {
            throw new Xunit.Sdk.XunitException($"parameter {name} not found in {TemplatePath}");
        }

        return Regex.Matches(block.Groups[1].Value, @"(?m)^    ([A-Za-z]+):[ ]*(.*)$")
            .ToDictionary(m => m.Groups[1].Value, m => Unquote(m.Groups[2].Value.Trim()), StringComparer.Ordinal);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '\'' && value[^1] == '\''))
            ? value[1..^1].Replace("\\\\", "\\", StringComparison.Ordinal)
            : value;

    /// <summary>The "- { Name: X, Value: Y }" environment entries of a task definition (Y raw, e.g. "!Ref ClusterId").</summary>
    public static IReadOnlyList<(string Name, string Value)> Environment(string taskDefinitionLogicalId) =>
        EnvironmentEntry().Matches(Resource(taskDefinitionLogicalId).Text)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value.Trim().Trim('"')))
            .ToList();

    public static IReadOnlyList<int> Ints(string text, string key) =>
        new Regex($@"^\s*-?\s*{key}:\s*""?(\d+)""?\s*$", RegexOptions.Multiline).Matches(text)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(
        string file, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public static string? FindOnPath(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"^  ([A-Za-z0-9]+):\s*$")]
    private static partial Regex ResourceStart();

    [GeneratedRegex(@"^    Type:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ResourceType();

    [GeneratedRegex(@"-\s*\{\s*Name:\s*([A-Za-z0-9_]+)\s*,\s*Value:\s*([^}]*)\}")]
    private static partial Regex EnvironmentEntry();
}
