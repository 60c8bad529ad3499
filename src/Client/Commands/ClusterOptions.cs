using System.CommandLine;

namespace Fruits.Client.Commands;

/// <summary>
/// --cluster and --gateway-port: which running cluster a command talks to. Without either, the commands that
/// can (run, jobs, cancel) use an embedded silo in this process instead.
/// </summary>
public sealed class ClusterOptions
{
    public Option<string?> Cluster { get; } = CreateCluster();

    public Option<int?> GatewayPort { get; } = NumberOptions.Integer("--gateway-port", "a gateway on localhost at this port", "PORT");

    public void AddTo(Command command)
    {
        command.Options.Add(Cluster);
        command.Options.Add(GatewayPort);
    }

    public bool Named(ParseResult parse) => parse.GetValue(Cluster) is not null || parse.GetValue(GatewayPort) is not null;

    public Task<ClusterConnection> ConnectAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken) =>
        ClusterConnection.ConnectAsync(parse.GetValue(Cluster), parse.GetValue(GatewayPort), settings.Verbose, cancellationToken);

    /// <summary>The named cluster, or an embedded silo when none is named.</summary>
    public Task<ClusterConnection> ConnectOrEmbedAsync(ParseResult parse, CliSettings settings, int? dashboardPort, CancellationToken cancellationToken) =>
        Named(parse)
            ? ConnectAsync(parse, settings, cancellationToken)
            : ClusterConnection.StartEmbeddedAsync(settings.Verbose, dashboardPort, cancellationToken);

    private static Option<string?> CreateCluster()
    {
        var option = new Option<string?>("--cluster")
        {
            Description = "the running cluster's membership: localhost (a gateway on this machine) or dynamodb (the table in the Fruits:Silo settings)",
            HelpName = "localhost|dynamodb",
        };
        option.CompletionSources.Add("localhost", "dynamodb");
        return option;
    }
}
