using System.Globalization;
using System.Text.RegularExpressions;
using Fruits.Silo;

namespace Fruits.UnitTests.Deploy;

/// <summary>
/// The deployment's security properties, read from the template and Dockerfile themselves: a data prefix that cannot
/// widen the IAM policies built from it, a bucket that refuses plain HTTP, base images pinned by digest, a stop timeout
/// that leaves the silo's drain time to finish, and a dashboard that is never on the network.
/// </summary>
public sealed class DeploySecurityTests
{
    public static TheoryData<string> SafePrefixes => new() { "fruits", "team-a/fruits_2026", "data.v2/input", "a", "x/y/z" };

    public static TheoryData<string> UnsafePrefixes => new()
    {
        "*", "fruits*", "fruits/*", "fru?ts", "/fruits", "fruits/", "a//b", ".", "..", "a/../b", "a/./b", ".hidden",
        "${aws:username}", "fruits/${aws:userid}", "a b", "a\\b", "a\nb", "",
    };

    [Theory]
    [MemberData(nameof(SafePrefixes))]
    public void DataPrefix_accepts_plain_key_prefixes(string prefix) =>
        Assert.Matches(DataPrefixPattern(), prefix);

    [Theory]
    [MemberData(nameof(UnsafePrefixes))]
    public void DataPrefix_refuses_wildcards_policy_variables_and_odd_slashes(string prefix) =>
        Assert.DoesNotMatch(DataPrefixPattern(), prefix);

    [Fact]
    public void No_DataPrefix_the_template_accepts_can_make_its_policies_grant_more_than_the_prefix()
    {
        var pattern = DataPrefixPattern();
        var parameter = DeployFiles.Parameter("DataPrefix");
        var maxLength = int.Parse(parameter["MaxLength"], CultureInfo.InvariantCulture);
        Assert.InRange(maxLength, 1, 512);

        // Random strings over the characters that matter (wildcards, slash, dot, policy-variable syntax) plus letters:
        // every one the pattern accepts is a literal key prefix, so "PREFIX/*" and s3:prefix "PREFIX" mean only it.
        var random = new Random(20261130);
        const string alphabet = "ab9_-./*?${}: ";
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var candidate = new string(Enumerable.Range(0, random.Next(1, 9)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            if (!pattern.IsMatch(candidate))
            {
                continue;
            }

            accepted++;
            Assert.DoesNotContain('*', candidate);
            Assert.DoesNotContain('?', candidate);
            Assert.DoesNotContain('$', candidate);
            Assert.False(candidate.StartsWith('/') || candidate.EndsWith('/') || candidate.Contains("//", StringComparison.Ordinal), candidate);
            Assert.DoesNotContain(candidate.Split('/'), segment => segment.StartsWith('.'));
        }

        Assert.True(accepted > 100, $"only {accepted} random prefixes were accepted: the sample says little");

        // The policies use the prefix only as "PREFIX/*" (objects) and "PREFIX", "PREFIX/*" (listing).
        var role = DeployFiles.Resource("SiloTaskRole").Text;
        Assert.Equal(
            ["arn:${AWS::Partition}:s3:::${DataBucketName}/${DataPrefix}/*"],
            Regex.Matches(role, @"""(arn:[^""]*\$\{DataPrefix\}[^""]*)""").Select(m => m.Groups[1].Value));
        Assert.Contains(@"""s3:prefix"": [!Ref DataPrefix, !Sub ""${DataPrefix}/*""]", role);
    }

    [Fact]
    public void The_data_bucket_the_stack_creates_refuses_every_request_not_made_over_TLS()
    {
        var (type, text) = DeployFiles.Resource("DataBucketPolicy");
        Assert.Equal("AWS::S3::BucketPolicy", type);
        // Created with the bucket it protects, and never for a bucket the stack does not own (it would replace its policy).
        Assert.Contains("Condition: ShouldCreateBucket", text);
        Assert.Contains("Condition: ShouldCreateBucket", DeployFiles.Resource("DataBucket").Text);
        Assert.Contains("Bucket: !Ref DataBucket", text);

        var statement = Regex.Match(text, @"(?ms)^\s*- Sid: DenyInsecureTransport\s*\n(.*?)(?=^\s*- Sid:|\z)");
        Assert.True(statement.Success, "no DenyInsecureTransport statement");
        var body = statement.Groups[1].Value;
        Assert.Matches(@"(?m)^\s*Effect: Deny\s*$", body);
        Assert.Matches(@"(?m)^\s*Principal: ""\*""\s*$", body);
        Assert.Matches(@"(?m)^\s*Action: ""s3:\*""\s*$", body);
        Assert.Contains(@"- !Sub ""arn:${AWS::Partition}:s3:::${DataBucketName}""", body);
        Assert.Contains(@"- !Sub ""arn:${AWS::Partition}:s3:::${DataBucketName}/*""", body);
        Assert.Matches(@"(?ms)Condition:\s*\n\s*Bool:\s*\n\s*""aws:SecureTransport"": ""false""", body);
    }

    [Fact]
    public void Every_base_image_is_pinned_by_digest()
    {
        var dockerfile = File.ReadAllText(DeployFiles.DockerfilePath);
        var defaults = Regex.Matches(dockerfile, @"(?m)^ARG ([A-Z_]+)=(\S+)\s*$").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var stages = new List<string>();
        var bases = new List<string>();
        foreach (Match from in Regex.Matches(dockerfile, @"(?m)^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$"))
        {
            var image = from.Groups[1].Value;
            if (!stages.Contains(image))
            {
                var reference = Regex.Match(image, @"^\$\{([A-Z_]+)\}$") is { Success: true } argument
                    ? defaults.GetValueOrDefault(argument.Groups[1].Value) ?? throw new Xunit.Sdk.XunitException($"FROM {image}: no ARG default")
                    : image;
                Assert.Matches(@"^mcr\.microsoft\.com/dotnet/(sdk|runtime):10\.0\.\d+-noble@sha256:[0-9a-f]{64}$", reference);
                bases.Add(reference);
            }

            if (from.Groups[2].Success)
            {
                stages.Add(from.Groups[2].Value);
            }
        }

        Assert.Equal(["projects", "build", "model", "client", "silo"], stages);
        Assert.Equal(2, bases.Distinct().Count()); // one SDK, one runtime: every stage builds on the same two images
    }

    [Theory]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0-noble", false)]
    [InlineData("mcr.microsoft.com/dotnet/sdk@sha256:abc", false)]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0-noble@sha256:e70cdb7f80b0348f5cb85f19a8f670fca061f033d57eed12fa003d58b0e06317", true)]
    public async Task The_image_build_refuses_an_unpinned_base_image(string sdkImage, bool builds)
    {
        // The guard is the first stage's RUN; run it as the build would, with the image given on the command line.
        var dockerfile = File.ReadAllText(DeployFiles.DockerfilePath).ReplaceLineEndings("\n");
        var firstStage = dockerfile[dockerfile.IndexOf("FROM ${SDK_IMAGE} AS projects", StringComparison.Ordinal)..];
        var run = Regex.Match(firstStage, @"(?m)^RUN ((?:.*\\\n)*.*)$");
        Assert.True(run.Success, "no RUN in the first stage");
        var runtime = Regex.Match(dockerfile, @"(?m)^ARG RUNTIME_IMAGE=(\S+)$").Groups[1].Value;

        var (exit, _, stderr) = await DeployFiles.RunAsync("/bin/sh", ["-c", run.Groups[1].Value],
            new Dictionary<string, string> { ["SDK_IMAGE"] = sdkImage, ["RUNTIME_IMAGE"] = runtime }, TimeSpan.FromSeconds(30));

        Assert.Equal(builds, exit == 0);
        if (!builds)
        {
            Assert.Contains($"base image '{sdkImage}' is not pinned by digest", stderr);
        }
    }

    [Fact]
    public void ECS_gives_a_stopping_silo_its_drain_time_before_the_kill()
    {
        var silo = DeployFiles.Resource("SiloTaskDefinition").Text;
        var stopTimeout = TimeSpan.FromSeconds(Assert.Single(DeployFiles.Ints(silo, "StopTimeout")));
        Assert.Equal(TimeSpan.FromSeconds(120), stopTimeout);

        var environment = DeployFiles.Environment("SiloTaskDefinition").ToDictionary(e => e.Name, e => e.Value);
        var drain = TimeSpan.Parse(environment["Fruits__Jobs__DrainTimeout"], CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromSeconds(100), drain);
        Assert.Equal(new Fruits.Grains.JobsOptions().DrainTimeout, drain);
        // After the drain the silo still leaves the membership table gracefully before SIGKILL.
        Assert.True(stopTimeout - drain >= TimeSpan.FromSeconds(15), $"only {stopTimeout - drain} between the drain's end and SIGKILL");
        Assert.DoesNotContain(DeployFiles.Environment("ClientTaskDefinition"), e => e.Name == "Fruits__Jobs__DrainTimeout");
    }

    [Fact]
    public void The_dashboard_is_reached_through_an_authenticated_tunnel_never_an_open_port()
    {
        var environment = DeployFiles.Environment("SiloTaskDefinition").ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("127.0.0.1", environment["Fruits__Dashboard__ListenAddress"]);
        Assert.Equal(new DashboardHostingOptions().ListenAddress, environment["Fruits__Dashboard__ListenAddress"]);
        // The classifier has no authentication either: same loopback, same tunnel.
        Assert.Equal("127.0.0.1", environment["Fruits__Classify__ListenAddress"]);
        Assert.Equal(new ClassifyHostingOptions().ListenAddress, environment["Fruits__Classify__ListenAddress"]);
        Assert.DoesNotContain(DeployFiles.Resources().Values, r => r.Text.Contains("8081", StringComparison.Ordinal) && r.Type.Contains("SecurityGroup", StringComparison.Ordinal));
        Assert.DoesNotContain(DeployFiles.Resources().Values, r => r.Text.Contains("8080", StringComparison.Ordinal) && r.Type.Contains("SecurityGroup", StringComparison.Ordinal));

        // The tunnel: ECS Exec (SSM) into the task, its permissions only when the dashboard is on.
        Assert.Contains("EnableExecuteCommand: !If [TunnelOn, true, false]", DeployFiles.Resource("SiloService").Text);
        var (type, tunnel) = DeployFiles.Resource("DashboardTunnelPolicy");
        Assert.Equal("AWS::IAM::Policy", type);
        Assert.Contains("Condition: TunnelOn", tunnel);
        Assert.Contains("Roles: [!Ref SiloTaskRole]", tunnel);
        Assert.Equal(
            ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
            Regex.Matches(tunnel, @"(?m)^\s*- (\S+:\S+)\s*$").Select(m => m.Groups[1].Value));

        foreach (var readme in new[] { Path.Combine(TestPaths.RepoRoot, "README.md"), Path.Combine(DeployFiles.EcsFolder, "README.md") })
        {
            var text = File.ReadAllText(readme);
            Assert.DoesNotContain("ListenAddress=0.0.0.0", text, StringComparison.Ordinal);
            Assert.DoesNotContain("authorize-security-group-ingress", text, StringComparison.Ordinal);
        }

        Assert.Contains("AWS-StartPortForwardingSessionToRemoteHost", File.ReadAllText(Path.Combine(DeployFiles.EcsFolder, "README.md")), StringComparison.Ordinal);
    }

    private static Regex DataPrefixPattern()
    {
        var parameter = DeployFiles.Parameter("DataPrefix");
        Assert.Equal("fruits", parameter["Default"]);
        // CloudFormation matches AllowedPattern against the whole value; anchored here the same way.
        return new Regex($@"\A(?:{parameter["AllowedPattern"]})\z", RegexOptions.CultureInvariant);
    }
}
