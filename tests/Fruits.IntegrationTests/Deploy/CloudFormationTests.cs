using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Fruits.IntegrationTests.Aws;

namespace Fruits.IntegrationTests.Deploy;

/// <summary>moto_server for the CloudFormation deployment tests; the aws CLI and SDK clients get its endpoint explicitly.</summary>
public sealed class CloudFormationFixture : IAsyncLifetime
{
    public MotoServer Moto { get; private set; } = null!;

    public Dictionary<string, string> CliEnvironment { get; } = new()
    {
        ["AWS_ACCESS_KEY_ID"] = "testing",
        ["AWS_SECRET_ACCESS_KEY"] = "testing",
        ["AWS_DEFAULT_REGION"] = "us-east-1",
        ["AWS_REGION"] = "us-east-1",
        ["AWS_PAGER"] = "",
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
    };

    public async Task InitializeAsync() => Moto = await MotoServer.StartAsync();

    public async Task DisposeAsync() => await Moto.DisposeAsync();

    /// <summary>`aws --endpoint-url MOTO --output json ARGS`, parsed; fails the test with stderr on a non-zero exit.</summary>
    public async Task<JsonElement> AwsAsync(params string[] args)
    {
        var aws = DeployFiles.FindOnPath("aws") ?? throw new Xunit.Sdk.XunitException("the aws CLI is not on PATH (pip install awscli)");
        var (exit, stdout, stderr) = await DeployFiles.RunAsync(aws, ["--endpoint-url", Moto.Endpoint, "--output", "json", .. args], CliEnvironment);
        Assert.True(exit == 0, $"aws {string.Join(' ', args)} exited {exit}:\n{stderr}\n{stdout}");
        return string.IsNullOrWhiteSpace(stdout) ? default : JsonDocument.Parse(stdout).RootElement.Clone();
    }

    public AmazonDynamoDBClient DynamoDB() =>
        new(new BasicAWSCredentials("testing", "testing"), new AmazonDynamoDBConfig { ServiceURL = Moto.Endpoint, AuthenticationRegion = "us-east-1" });

    public AmazonS3Client S3() =>
        new(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config { ServiceURL = Moto.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
}

public sealed class CloudFormationTests(CloudFormationFixture aws) : IClassFixture<CloudFormationFixture>
{
    [Fact]
    public async Task Template_passes_cfn_lint()
    {
        var cfnLint = DeployFiles.FindOnPath("cfn-lint");
        if (cfnLint is null)
        {
            var pip = await DeployFiles.RunAsync("python3", ["-m", "pip", "install", "--quiet", "cfn-lint"], timeout: TimeSpan.FromMinutes(5));
            Assert.True(pip.ExitCode == 0, "pip install cfn-lint failed:\n" + pip.StdErr);
            cfnLint = DeployFiles.FindOnPath("cfn-lint") ?? throw new Xunit.Sdk.XunitException("cfn-lint still not on PATH after pip install");
        }

        var (exit, stdout, stderr) = await DeployFiles.RunAsync(cfnLint, [DeployFiles.TemplatePath]);
        Assert.True(exit == 0, $"cfn-lint exited {exit}:\n{stdout}\n{stderr}");
    }

    [Fact]
    public async Task Stack_deploys_with_a_new_bucket_and_creates_every_resource()
    {
        var outputs = await DeployAsync("fruits-new", "fruits-data-new", createBucket: true);

        // DynamoDB membership table: the provider's key schema, on demand.
        using var dynamo = aws.DynamoDB();
        var table = (await dynamo.DescribeTableAsync("fruits-new-membership")).Table;
        Assert.Equal("fruits-new-membership", outputs["MembershipTableName"]);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, table.BillingModeSummary?.BillingMode);
        Assert.Equal(
            ["DeploymentId:HASH", "SiloIdentity:RANGE"],
            table.KeySchema.Select(k => $"{k.AttributeName}:{k.KeyType.Value}"));
        Assert.All(table.AttributeDefinitions, a => Assert.Equal(ScalarAttributeType.S, a.AttributeType));

        // S3 bucket.
        using var s3 = aws.S3();
        Assert.Contains("fruits-data-new", (await s3.ListBucketsAsync()).Buckets.Select(b => b.BucketName));
        Assert.Equal("s3://fruits-data-new/fruits/", outputs["DataRoot"]);

        // ECS cluster, service, task definitions.
        var clusters = await aws.AwsAsync("ecs", "describe-clusters", "--clusters", outputs["ClusterName"]);
        Assert.Equal("ACTIVE", clusters.GetProperty("clusters")[0].GetProperty("status").GetString());
        var service = (await aws.AwsAsync("ecs", "describe-services", "--cluster", outputs["ClusterName"], "--services", outputs["ServiceName"]))
            .GetProperty("services")[0];
        Assert.Equal(2, service.GetProperty("desiredCount").GetInt32());
        Assert.Equal(outputs["SiloTaskDefinitionArn"], service.GetProperty("taskDefinition").GetString());

        var silo = (await aws.AwsAsync("ecs", "describe-task-definition", "--task-definition", outputs["SiloTaskDefinitionArn"])).GetProperty("taskDefinition");
        var container = silo.GetProperty("containerDefinitions")[0];
        Assert.Equal("123456789012.dkr.ecr.us-east-1.amazonaws.com/fruits:test", container.GetProperty("image").GetString());
        var environment = container.GetProperty("environment").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString());
        Assert.Equal("DynamoDB", environment["Fruits__Silo__Clustering"]);
        Assert.Equal("fruits-new-membership", environment["Fruits__DynamoDB__TableName"]);
        Assert.Equal("us-east-1", environment["Fruits__DynamoDB__Service"]);
        Assert.Equal("false", environment["Fruits__DynamoDB__CreateIfNotExists"]);
        Assert.Equal("false", environment["Fruits__Dashboard__Enabled"]);
        Assert.Equal([11111, 30000], container.GetProperty("portMappings").EnumerateArray().Select(p => p.GetProperty("containerPort").GetInt32()).Order());
        Assert.Equal("awslogs", container.GetProperty("logConfiguration").GetProperty("logDriver").GetString());

        var client = (await aws.AwsAsync("ecs", "describe-task-definition", "--task-definition", outputs["ClientTaskDefinitionArn"])).GetProperty("taskDefinition");
        Assert.Equal(["dotnet", "/app/client/fruits.dll"], client.GetProperty("containerDefinitions")[0].GetProperty("entryPoint").EnumerateArray().Select(e => e.GetString()));

        // Roles: the silo role may touch only this table and the data prefix; nothing may create tables.
        var resources = await ResourcesAsync("fruits-new");
        var siloRole = resources["SiloTaskRole"];
        Assert.Contains("ClientTaskRole", resources.Keys);
        // (moto keeps only the container definitions of a CloudFormation task definition: roles, network mode and
        // cpu/memory are checked on the template text in TemplateContractTests.)
        var data = (await aws.AwsAsync("iam", "get-role-policy", "--role-name", siloRole, "--policy-name", "fruits-data")).GetProperty("PolicyDocument").GetRawText();
        Assert.Contains("arn:aws:s3:::fruits-data-new/fruits/*", data);
        var membership = (await aws.AwsAsync("iam", "get-role-policy", "--role-name", siloRole, "--policy-name", "orleans-membership")).GetProperty("PolicyDocument").GetRawText();
        Assert.Contains(table.TableArn, membership);
        Assert.DoesNotContain("CreateTable", membership);
        Assert.DoesNotContain("\"*\"", membership);
        foreach (var role in new[] { "TaskExecutionRole", "SiloTaskRole", "ClientTaskRole" })
        {
            var trust = (await aws.AwsAsync("iam", "get-role", "--role-name", resources[role])).GetProperty("Role").GetProperty("AssumeRolePolicyDocument").GetRawText();
            Assert.Contains("ecs-tasks.amazonaws.com", trust);
        }

        // (moto ignores ManagedPolicyArns in CloudFormation; the execution role's managed policy is checked on the template text.)

        // Logs and the self-referencing security group.
        var logGroups = await aws.AwsAsync("logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/fruits-new");
        var logGroup = Assert.Single(logGroups.GetProperty("logGroups").EnumerateArray());
        Assert.Equal(outputs["LogGroupName"], logGroup.GetProperty("logGroupName").GetString());
        Assert.Equal("30", logGroup.GetProperty("retentionInDays").ToString());
        var group = (await aws.AwsAsync("ec2", "describe-security-groups", "--group-ids", outputs["TaskSecurityGroupId"])).GetProperty("SecurityGroups")[0];
        var permissions = group.GetProperty("IpPermissions").EnumerateArray().ToList();
        Assert.Equal([11111, 30000], permissions.Select(p => p.GetProperty("FromPort").GetInt32()).Order());
        Assert.All(permissions, p =>
        {
            Assert.Empty(p.GetProperty("IpRanges").EnumerateArray());
            Assert.Equal(outputs["TaskSecurityGroupId"], Assert.Single(p.GetProperty("UserIdGroupPairs").EnumerateArray()).GetProperty("GroupId").GetString());
        });
    }

    [Fact]
    public async Task Stack_deploys_onto_an_existing_bucket_without_creating_one()
    {
        using var s3 = aws.S3();
        await s3.PutBucketAsync("fruits-existing");
        var before = (await s3.ListBucketsAsync()).Buckets.Count;

        var outputs = await DeployAsync("fruits-old", "fruits-existing", createBucket: false);

        Assert.Equal(before, (await s3.ListBucketsAsync()).Buckets.Count);
        Assert.False((await ResourcesAsync("fruits-old")).ContainsKey("DataBucket"));
        Assert.Equal("s3://fruits-existing/fruits/", outputs["DataRoot"]);
        using var dynamo = aws.DynamoDB();
        Assert.Equal(TableStatus.ACTIVE, (await dynamo.DescribeTableAsync(outputs["MembershipTableName"])).Table.TableStatus);
    }

    [Fact]
    public async Task Stack_with_the_dashboard_on_gives_an_ECS_Exec_tunnel_and_still_opens_no_port()
    {
        var outputs = await DeployAsync("fruits-dash", "fruits-data-dash", createBucket: true, "ParameterKey=EnableDashboard,ParameterValue=true");

        var silo = (await aws.AwsAsync("ecs", "describe-task-definition", "--task-definition", outputs["SiloTaskDefinitionArn"])).GetProperty("taskDefinition");
        var environment = silo.GetProperty("containerDefinitions")[0].GetProperty("environment").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString());
        Assert.Equal("true", environment["Fruits__Dashboard__Enabled"]);
        Assert.Equal("127.0.0.1", environment["Fruits__Dashboard__ListenAddress"]);

        // The tunnel's permissions are on the silo role, in a policy of their own. (moto does not report a service's
        // enableExecuteCommand; DeploySecurityTests checks it on the template.)
        var siloRole = (await ResourcesAsync("fruits-dash"))["SiloTaskRole"];
        var policies = (await aws.AwsAsync("iam", "list-role-policies", "--role-name", siloRole)).GetProperty("PolicyNames").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Contains("ecs-exec-tunnel", policies);
        var tunnel = (await aws.AwsAsync("iam", "get-role-policy", "--role-name", siloRole, "--policy-name", "ecs-exec-tunnel")).GetProperty("PolicyDocument").GetRawText();
        Assert.Contains("ssmmessages:OpenDataChannel", tunnel);
        Assert.DoesNotContain("s3:", tunnel);

        // No port for the dashboard: the group still admits only the two Orleans ports, from itself.
        var group = (await aws.AwsAsync("ec2", "describe-security-groups", "--group-ids", outputs["TaskSecurityGroupId"])).GetProperty("SecurityGroups")[0];
        Assert.Equal([11111, 30000], group.GetProperty("IpPermissions").EnumerateArray().Select(p => p.GetProperty("FromPort").GetInt32()).Order());
    }

    /// <summary>create-stack into moto's default VPC (EnableAutoScaling=false: moto has no Application Auto Scaling in CloudFormation).</summary>
    private async Task<Dictionary<string, string>> DeployAsync(string stack, string bucket, bool createBucket, params string[] parameters)
    {
        var vpc = (await aws.AwsAsync("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")).GetProperty("Vpcs")[0].GetProperty("VpcId").GetString()!;
        var subnets = (await aws.AwsAsync("ec2", "describe-subnets", "--filters", $"Name=vpc-id,Values={vpc}")).GetProperty("Subnets")
            .EnumerateArray().Select(s => s.GetProperty("SubnetId").GetString()!).Take(2).ToList();
        Assert.NotEmpty(subnets);

        await aws.AwsAsync([
            "cloudformation", "create-stack", "--stack-name", stack,
            "--template-body", "file://" + DeployFiles.TemplatePath,
            "--capabilities", "CAPABILITY_IAM",
            "--parameters",
            "ParameterKey=ImageUri,ParameterValue=123456789012.dkr.ecr.us-east-1.amazonaws.com/fruits:test",
            $"ParameterKey=VpcId,ParameterValue={vpc}",
            $"ParameterKey=SubnetIds,ParameterValue=\"{string.Join(',', subnets)}\"",
            $"ParameterKey=DataBucketName,ParameterValue={bucket}",
            $"ParameterKey=CreateBucket,ParameterValue={(createBucket ? "true" : "false")}",
            "ParameterKey=EnableAutoScaling,ParameterValue=false",
            .. parameters]);

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        JsonElement description;
        while (true)
        {
            description = (await aws.AwsAsync("cloudformation", "describe-stacks", "--stack-name", stack)).GetProperty("Stacks")[0];
            var status = description.GetProperty("StackStatus").GetString()!;
            if (!status.EndsWith("_IN_PROGRESS", StringComparison.Ordinal))
            {
                var events = await aws.AwsAsync("cloudformation", "describe-stack-events", "--stack-name", stack);
                Assert.True(status == "CREATE_COMPLETE", $"{stack}: {status}\n{events}");
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{stack} still {status}");
            await Task.Delay(500);
        }

        return description.GetProperty("Outputs").EnumerateArray()
            .ToDictionary(o => o.GetProperty("OutputKey").GetString()!, o => o.GetProperty("OutputValue").GetString()!);
    }

    /// <summary>Logical id -> physical id of the stack's created resources (moto lists skipped resource types without ids).</summary>
    private async Task<Dictionary<string, string>> ResourcesAsync(string stack) =>
        (await aws.AwsAsync("cloudformation", "describe-stack-resources", "--stack-name", stack)).GetProperty("StackResources")
            .EnumerateArray()
            .Where(r => r.TryGetProperty("LogicalResourceId", out var id) && id.ValueKind == JsonValueKind.String
                && r.TryGetProperty("PhysicalResourceId", out var physical) && physical.ValueKind == JsonValueKind.String)
            .ToDictionary(r => r.GetProperty("LogicalResourceId").GetString()!, r => r.GetProperty("PhysicalResourceId").GetString()!);
}
