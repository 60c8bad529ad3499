using Microsoft.Extensions.Configuration;

namespace Fruits.Client;

/// <summary>How the console connects to a running cluster, bound from "Fruits:Client".</summary>
public sealed class ClientConnectOptions
{
    public const string Section = "Fruits:Client";

    /// <summary>
    /// How long a gateway has to answer before the command stops with "cannot reach the cluster": a silo that
    /// hangs up on every try (a TLS mismatch, say) never fails the connection any other way.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public static ClientConnectOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<ClientConnectOptions>() ?? new ClientConnectOptions();
}
