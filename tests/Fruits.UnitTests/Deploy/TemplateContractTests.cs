using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Fruits.Silo;

namespace Fruits.UnitTests.Deploy;

/// <summary>
/// Drift checks between deploy/ecs (template, Dockerfile) and the configuration the code actually reads:
/// every Fruits__Section__Key the tasks get must bind to a settable property of that section's options class,
/// and the ports agree everywhere (options defaults, port mappings, EXPOSE, security group, health checks).
/// </summary>
public sealed class TemplateContractTests
{
    /// <summary>Configuration section -> the options class expected to bind it (null = found by its Section constant).</summary>
    private static readonly Dictionary<string, string?> SectionTypes = new(StringComparer.Ordinal)
    {
        ["Silo"] = "Fruits.Silo.SiloHostingOptions",
        ["Featurizer"] = "Fruits.Grains.FeaturizerOptions",
        ["S3"] = "Fruits.Pipeline.Storage.S3StorageOptions",
        ["Dashboard"] = "Fruits.Silo.DashboardHostingOptions",
        ["Classify"] = "Fruits.Silo.ClassifyHostingOptions",
        ["Tls"] = "Fruits.Silo.Tls.FruitsTlsOptions",
        ["Readiness"] = "Fruits.Grains.SiloReadinessOptions",
        ["Jobs"] = "Fruits.Grains.JobsOptions",
        ["DynamoDB"] = "Orleans.Configuration.DynamoDBClusteringOptions", // bound from "Fruits:DynamoDB" by the silo
    };

    /// <summary>Subsections of Fruits:DynamoDB bound to their own options class.</summary>
    private static readonly Dictionary<string, string> DynamoDBSubsections = new(StringComparer.Ordinal)
    {
        ["DynamoDB:Storage"] = "Orleans.Configuration.DynamoDBStorageOptions",
        ["DynamoDB:Reminders"] = "Orleans.Configuration.DynamoDBReminderStorageOptions",
    };

    /// <summary>Keys read as plain values rather than through an options class.</summary>
    private static readonly HashSet<string> PlainKeys = new(StringComparer.Ordinal)
    {
        "Fruits__LogFormat",                // FruitsSiloHostExtensions.AddFruitsLogging
        "Serilog__MinimumLevel__Default",   // Serilog.Settings.Configuration
        "AWS_REGION",                       // AWS SDK default chain (region only, never credentials)
    };

    public static TheoryData<string> TaskDefinitions => new() { "SiloTaskDefinition", "ClientTaskDefinition" };

    public static TheoryData<string> Sections => new(SectionTypes.Keys);

    [Theory]
    [MemberData(nameof(TaskDefinitions))]
    public void Every_environment_variable_is_a_known_configuration_key(string taskDefinition)
    {
        var environment = DeployFiles.Environment(taskDefinition);
        Assert.NotEmpty(environment);
        var problems = new List<string>();
        foreach (var (name, value) in environment)
        {
            if (PlainKeys.Contains(name))
            {
                continue;
            }

            var parts = name.Split("__");
            if (parts.Length == 4 && parts[0] == "Fruits" && DynamoDBSubsections.TryGetValue($"{parts[1]}:{parts[2]}", out var subsectionType))
            {
                // Job storage and reminders bind their own subsection of Fruits:DynamoDB (see FruitsSiloHostExtensions.UseFruitsJobStore).
                var options = Assemblies().Select(a => a.GetType(subsectionType)).FirstOrDefault(t => t is not null);
                if (options?.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                        .FirstOrDefault(p => string.Equals(p.Name, parts[3], StringComparison.OrdinalIgnoreCase)) is not { SetMethod.IsPublic: true } subProperty)
                {
                    problems.Add($"{name}: {subsectionType} has no public settable property {parts[3]}");
                }
                else if (!value.StartsWith('!') && !Converts(subProperty.PropertyType, value))
                {
                    problems.Add($"{name}: value '{value}' does not convert to {subProperty.PropertyType.Name}");
                }

                continue;
            }

            if (parts.Length != 3 || parts[0] != "Fruits")
            {
                problems.Add($"{name}: not Fruits__Section__Key and not an allowed plain key");
                continue;
            }

            if (!SectionTypes.ContainsKey(parts[1]))
            {
                problems.Add($"{name}: unknown section Fruits:{parts[1]}");
                continue;
            }

            var type = OptionsType(parts[1]);
            if (type is null)
            {
                problems.Add($"{name}: no options class declares Section = \"Fruits:{parts[1]}\" in the assemblies the silo loads");
                continue;
            }

            // Microsoft.Extensions.Configuration binds case-insensitively to public settable instance properties.
            var property = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .FirstOrDefault(p => string.Equals(p.Name, parts[2], StringComparison.OrdinalIgnoreCase));
            if (property is null || property.SetMethod is not { IsPublic: true })
            {
                problems.Add($"{name}: {type.FullName} has no public settable property {parts[2]}");
                continue;
            }

            if (!value.StartsWith('!') && !Converts(property.PropertyType, value))
            {
                problems.Add($"{name}: value '{value}' does not convert to {property.PropertyType.Name}");
            }
        }

        Assert.True(problems.Count == 0, $"{taskDefinition} in {DeployFiles.TemplatePath}:\n" + string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Sections))]
    public void Each_configuration_section_has_its_options_class(string section)
    {
        var type = OptionsType(section);
        Assert.True(type is not null,
            $"no loaded type declares `const string Section = \"Fruits:{section}\"`; looked in: "
            + string.Join(", ", Assemblies().Select(a => a.GetName().Name).Where(n => n!.StartsWith("Fruits", StringComparison.Ordinal) || n.StartsWith("fruits", StringComparison.Ordinal))));
        if (SectionTypes[section] is { } expected)
        {
            Assert.Equal(expected, type!.FullName);
        }
    }

    [Fact]
    public void Silo_task_uses_DynamoDB_clustering_on_the_stack_table_without_creating_it()
    {
        var environment = DeployFiles.Environment("SiloTaskDefinition").ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("DynamoDB", environment["Fruits__Silo__Clustering"]);
        Assert.Equal("!Ref MembershipTable", environment["Fruits__DynamoDB__TableName"]);
        Assert.Equal("false", environment["Fruits__DynamoDB__CreateIfNotExists"]);
        Assert.Equal("json", environment["Fruits__LogFormat"]);
        Assert.Equal("/app/models/mobilenet_v2_1.0_224.onnx", environment["Fruits__Featurizer__ModelPath"]);
        Assert.Equal(environment["Fruits__Featurizer__ModelPath"], DockerEnv()["Fruits__Featurizer__ModelPath"]);
        Assert.False(environment.ContainsKey("Fruits__Silo__AdvertisedIP"), "AdvertisedIP must stay empty in ECS (taken from the task metadata endpoint)");
    }

    [Fact]
    public void Task_definitions_are_Fargate_awsvpc_with_their_own_least_privilege_roles()
    {
        var silo = DeployFiles.Resource("SiloTaskDefinition").Text;
        var client = DeployFiles.Resource("ClientTaskDefinition").Text;
        Assert.Contains("TaskRoleArn: !GetAtt SiloTaskRole.Arn", silo);
        Assert.Contains("TaskRoleArn: !GetAtt ClientTaskRole.Arn", client);
        foreach (var definition in new[] { silo, client })
        {
            Assert.Contains("ExecutionRoleArn: !GetAtt TaskExecutionRole.Arn", definition);
            Assert.Contains("NetworkMode: awsvpc", definition);
            Assert.Contains("RequiresCompatibilities: [FARGATE]", definition);
            Assert.Contains("LogDriver: awslogs", definition);
        }

        Assert.Contains("Cpu: !Ref TaskCpu", silo);
        Assert.Contains("Memory: !Ref TaskMemory", silo);

        Assert.Contains("policy/service-role/AmazonECSTaskExecutionRolePolicy", DeployFiles.Resource("TaskExecutionRole").Text);
        var siloRole = DeployFiles.Resource("SiloTaskRole").Text;
        Assert.Contains("Resource: !GetAtt MembershipTable.Arn", siloRole);
        Assert.Contains("${DataBucketName}/${DataPrefix}/*", siloRole);
        Assert.Contains("\"s3:prefix\"", siloRole);
        Assert.DoesNotContain("CreateTable", siloRole);
        Assert.DoesNotMatch(@"Resource:\s*""?\*", siloRole);
        var clientRole = DeployFiles.Resource("ClientTaskRole").Text;
        Assert.DoesNotContain("s3:", clientRole);
        Assert.DoesNotMatch(@"dynamodb:(Put|Update|Delete)Item", clientRole);

        var scaling = DeployFiles.Resource("CpuScalingPolicy").Text;
        Assert.Contains("ECSServiceAverageCPUUtilization", scaling);
        Assert.Contains("Condition: ShouldAutoScale", scaling);
        Assert.Contains("Condition: ShouldAutoScale", DeployFiles.Resource("ScalableTarget").Text);
    }

    [Fact]
    public void Dashboard_is_off_unless_the_stack_enables_it()
    {
        var defaults = new DashboardHostingOptions();
        Assert.False(defaults.Enabled);
        var environment = DeployFiles.Environment("SiloTaskDefinition").ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("!Ref EnableDashboard", environment["Fruits__Dashboard__Enabled"]);
        Assert.Equal(defaults.Port.ToString(CultureInfo.InvariantCulture), environment["Fruits__Dashboard__Port"]);
        Assert.DoesNotContain(DeployFiles.Environment("ClientTaskDefinition"), e => e.Name.StartsWith("Fruits__Dashboard__", StringComparison.Ordinal));

        var parameter = Regex.Match(File.ReadAllText(DeployFiles.TemplatePath), @"(?m)^  EnableDashboard:\s*\n((?:    .*\n)+)");
        Assert.True(parameter.Success, "no EnableDashboard parameter in the template");
        Assert.Matches(@"(?m)^    Default:\s*""false""\s*$", parameter.Groups[1].Value);

        Assert.DoesNotContain("Fruits__Dashboard__Enabled", File.ReadAllText(DeployFiles.DockerfilePath), StringComparison.Ordinal);
        using var appsettings = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "Silo", "appsettings.json")));
        Assert.False(appsettings.RootElement.GetProperty("Fruits").GetProperty("Dashboard").GetProperty("Enabled").GetBoolean());
    }

    [Fact]
    public void Classifier_is_off_unless_the_stack_enables_it()
    {
        var defaults = new ClassifyHostingOptions();
        Assert.False(defaults.Enabled);
        var environment = DeployFiles.Environment("SiloTaskDefinition").ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("!Ref EnableClassifier", environment["Fruits__Classify__Enabled"]);
        Assert.Equal(defaults.Port.ToString(CultureInfo.InvariantCulture), environment["Fruits__Classify__Port"]);
        Assert.DoesNotContain(DeployFiles.Environment("ClientTaskDefinition"), e => e.Name.StartsWith("Fruits__Classify__", StringComparison.Ordinal));

        var parameter = Regex.Match(File.ReadAllText(DeployFiles.TemplatePath), @"(?m)^  EnableClassifier:\s*\n((?:    .*\n)+)");
        Assert.True(parameter.Success, "no EnableClassifier parameter in the template");
        Assert.Matches(@"(?m)^    Default:\s*""false""\s*$", parameter.Groups[1].Value);
    }

    [Fact]
    public void No_credentials_or_secrets_in_the_template_or_Dockerfile()
    {
        var secret = new Regex(@"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AKIA[0-9A-Z]{16}|Password|Secret", RegexOptions.IgnoreCase);
        foreach (var path in new[] { DeployFiles.TemplatePath, DeployFiles.DockerfilePath })
        {
            var hit = secret.Match(File.ReadAllText(path));
            Assert.False(hit.Success, $"{path} mentions '{hit.Value}'");
        }
    }

    [Fact]
    public void Ports_agree_between_options_defaults_template_Dockerfile_and_security_group()
    {
        var defaults = new SiloHostingOptions();
        int[] expected = [defaults.SiloPort, defaults.GatewayPort];
        Assert.Equal([11111, 30000], expected);

        // Silo container: port mappings, the port settings it is given, its health check.
        var silo = DeployFiles.Resource("SiloTaskDefinition").Text;
        Assert.Equal(expected, DeployFiles.Ints(silo, "ContainerPort").Order());
        var environment = DeployFiles.Environment("SiloTaskDefinition").ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal(defaults.SiloPort.ToString(CultureInfo.InvariantCulture), environment["Fruits__Silo__SiloPort"]);
        Assert.Equal(defaults.GatewayPort.ToString(CultureInfo.InvariantCulture), environment["Fruits__Silo__GatewayPort"]);
        Assert.Equal(expected, Regex.Matches(silo, @"/dev/tcp/127\.0\.0\.1/(\d+)").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order());

        // Client: the gateway it looks for.
        var client = DeployFiles.Environment("ClientTaskDefinition").ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal(defaults.GatewayPort.ToString(CultureInfo.InvariantCulture), client["Fruits__Silo__GatewayPort"]);

        // Dockerfile: EXPOSE, ENV, HEALTHCHECK defaults.
        var dockerfile = File.ReadAllText(DeployFiles.DockerfilePath);
        var exposed = Regex.Matches(dockerfile, @"^EXPOSE\s+(.+)$", RegexOptions.Multiline)
            .SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture));
        Assert.Equal(expected, exposed.Order());
        var env = DockerEnv();
        Assert.Equal(defaults.SiloPort.ToString(CultureInfo.InvariantCulture), env["Fruits__Silo__SiloPort"]);
        Assert.Equal(defaults.GatewayPort.ToString(CultureInfo.InvariantCulture), env["Fruits__Silo__GatewayPort"]);
        Assert.Equal(expected, Regex.Matches(dockerfile, @"/dev/tcp/127\.0\.0\.1/\$\{[A-Za-z_]+:-(\d+)\}").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order());
        Assert.Matches(@"(?m)^HEALTHCHECK ", dockerfile);
        Assert.Matches(@"(?m)^USER \$APP_UID", dockerfile);

        // Security group: exactly these ports, each only from the group itself.
        var ingress = DeployFiles.Resources().Values.Where(r => r.Type == "AWS::EC2::SecurityGroupIngress").ToList();
        Assert.Equal(expected, ingress.SelectMany(r => DeployFiles.Ints(r.Text, "FromPort")).Order());
        Assert.Equal(expected, ingress.SelectMany(r => DeployFiles.Ints(r.Text, "ToPort")).Order());
        Assert.All(ingress, r =>
        {
            Assert.Contains("SourceSecurityGroupId: !GetAtt TaskSecurityGroup.GroupId", r.Text);
            Assert.DoesNotContain("CidrIp", r.Text);
        });
        Assert.DoesNotContain("SecurityGroupIngress:", DeployFiles.Resource("TaskSecurityGroup").Text);
    }

    private static Dictionary<string, string> DockerEnv()
    {
        // ENV A=1 \<newline> B=2 ... in the final (silo) stage.
        var dockerfile = File.ReadAllText(DeployFiles.DockerfilePath).Replace("\\\n", " ");
        var silo = dockerfile[dockerfile.LastIndexOf("AS silo", StringComparison.Ordinal)..];
        return Regex.Matches(silo, @"^ENV\s+(.+)$", RegexOptions.Multiline)
            .SelectMany(m => Regex.Matches(m.Groups[1].Value, @"([A-Za-z_][A-Za-z0-9_]*)=(\S+)"))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    private static bool Converts(Type type, string value)
    {
        try
        {
            return TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value) is not null || !type.IsValueType;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException || e.InnerException is FormatException)
        {
            return false;
        }
    }

    private static Type? OptionsType(string section)
    {
        if (SectionTypes[section] is { } name && Assemblies().Select(a => a.GetType(name)).FirstOrDefault(t => t is not null) is { } known)
        {
            return known;
        }

        return Assemblies()
            .SelectMany(a =>
            {
                try
                {
                    return a.GetTypes();
                }
                catch (ReflectionTypeLoadException e)
                {
                    return e.Types.OfType<Type>().ToArray();
                }
            })
            .FirstOrDefault(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field
                && Equals(field.GetRawConstantValue(), $"Fruits:{section}"));
    }

    /// <summary>The project's assemblies: those loaded plus every fruits/Fruits.* assembly next to the tests.</summary>
    private static IEnumerable<Assembly> Assemblies()
    {
        _ = typeof(SiloHostingOptions);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll")
            .Where(f => Path.GetFileName(f).StartsWith("Fruits.", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(f).StartsWith("fruits", StringComparison.Ordinal)))
        {
            var name = AssemblyName.GetAssemblyName(file);
            if (!AppDomain.CurrentDomain.GetAssemblies().Any(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name)))
            {
                try
                {
                    Assembly.Load(name);
                }
                catch (Exception e) when (e is FileLoadException or BadImageFormatException or FileNotFoundException)
                {
                    // not loadable here: its types cannot be options of the silo anyway
                }
            }
        }

        return AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic);
    }
}
