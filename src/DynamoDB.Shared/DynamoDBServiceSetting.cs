using System.Text.RegularExpressions;
using Amazon;

namespace Fruits.DynamoDB;

/// <summary>The <c>Service</c> setting shared by every DynamoDB provider: a region system name or an http(s) endpoint.</summary>
internal static partial class DynamoDBServiceSetting
{
    public static bool IsEndpoint(string? service) => service?.StartsWith("http", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Null when the value is usable, else why not (one sentence, no trailing period).</summary>
    public static string? Problem(string? service)
    {
        if (string.IsNullOrWhiteSpace(service))
        {
            // The SDK default chain (AWS_REGION, profile, instance metadata) picks the region.
            return null;
        }

        if (IsEndpoint(service))
        {
            return Uri.TryCreate(service, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                && !string.IsNullOrEmpty(uri.Host)
                ? null
                : $"'{service}' is not an absolute http(s) URL";
        }

        // RegionEndpoint.GetBySystemName accepts any string and only fails on the first request, far from the cause;
        // a region the SDK does not list yet is still accepted when it has a region's shape.
        return RegionEndpoint.EnumerableAllRegions.Any(r => r.SystemName == service) || RegionShape().IsMatch(service)
            ? null
            : $"'{service}' is neither an AWS region (such as eu-west-1) nor a URL starting with http";
    }

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionShape();
}
