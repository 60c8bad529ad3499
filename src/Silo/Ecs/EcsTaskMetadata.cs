using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Fruits.Silo.Ecs;

/// <summary>
/// Reads the task's own IPv4 address from the Amazon ECS task metadata endpoint version 4
/// (the URI ECS puts in ECS_CONTAINER_METADATA_URI_V4), so a silo in an awsvpc/Fargate task can advertise
/// the address other silos and clients reach it on. Pure: no static state, no logging (the caller logs).
/// </summary>
public static class EcsTaskMetadata
{
    /// <summary>The environment variable ECS sets in every container on platform version 1.4+ / agent 1.39+.</summary>
    public const string MetadataUriVariable = "ECS_CONTAINER_METADATA_URI_V4";

    /// <summary>
    /// GETs <c>{metadataUri}/task</c> and returns the first IPv4 address of <c>Containers[].Networks[].IPv4Addresses[]</c>.
    /// Null when <paramref name="metadataUri"/> is null/empty/not an absolute http(s) URI, or the endpoint is unreachable,
    /// answers a non-success status, times out (per <paramref name="http"/>'s Timeout) or returns malformed JSON.
    /// Cancellation through <paramref name="ct"/> is not swallowed.
    /// </summary>
    public static async Task<IPAddress?> TryGetTaskIPv4Async(HttpClient http, string? metadataUri, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (string.IsNullOrWhiteSpace(metadataUri)
            || !Uri.TryCreate(metadataUri.Trim().TrimEnd('/') + "/task", UriKind.Absolute, out var taskUri)
            || (taskUri.Scheme != Uri.UriSchemeHttp && taskUri.Scheme != Uri.UriSchemeHttps))
        {
            return null;
        }

        try
        {
            using var response = await http.GetAsync(taskUri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var document = await JsonDocument.ParseAsync(body, default, ct).ConfigureAwait(false);
            return FirstIPv4(document.RootElement);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null; // HttpClient.Timeout
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The first IPv4 in a v4 task metadata document (Containers[].Networks[].IPv4Addresses[]), or null.</summary>
    public static IPAddress? FirstIPv4(JsonElement task)
    {
        if (task.ValueKind != JsonValueKind.Object || !TryGet(task, "Containers", JsonValueKind.Array, out var containers))
        {
            return null;
        }

        foreach (var container in containers.EnumerateArray())
        {
            if (container.ValueKind != JsonValueKind.Object || !TryGet(container, "Networks", JsonValueKind.Array, out var networks))
            {
                continue;
            }

            foreach (var network in networks.EnumerateArray())
            {
                if (network.ValueKind != JsonValueKind.Object || !TryGet(network, "IPv4Addresses", JsonValueKind.Array, out var addresses))
                {
                    continue;
                }

                foreach (var address in addresses.EnumerateArray())
                {
                    if (address.ValueKind == JsonValueKind.String
                        && IPAddress.TryParse(address.GetString(), out var ip)
                        && ip.AddressFamily == AddressFamily.InterNetwork)
                    {
                        return ip;
                    }
                }
            }
        }

        return null;
    }

    private static bool TryGet(JsonElement element, string name, JsonValueKind kind, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == kind)
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
