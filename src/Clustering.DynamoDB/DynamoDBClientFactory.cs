using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Orleans.Configuration;

namespace Fruits.Clustering.DynamoDB;

internal static class DynamoDBClientFactory
{
    public static AmazonDynamoDBClient Create(DynamoDBTableOptions options)
    {
        var config = new AmazonDynamoDBConfig
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.MaxErrorRetry,
        };

        // Same convention as the official provider: a value starting with http is an endpoint, anything else a region.
        if (options.Service.StartsWith("http", StringComparison.OrdinalIgnoreCase))
        {
            config.ServiceURL = options.Service;
        }
        else if (!string.IsNullOrWhiteSpace(options.Service))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Service);
        }

        return new AmazonDynamoDBClient(config);
    }
}
