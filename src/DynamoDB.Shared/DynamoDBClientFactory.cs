using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;

namespace Fruits.DynamoDB;

/// <summary>Builds the DynamoDB client every provider of this repository uses, from the same two settings.</summary>
internal static class DynamoDBClientFactory
{
    public static AmazonDynamoDBClient Create(string service, int maxErrorRetry)
    {
        var config = new AmazonDynamoDBConfig
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = maxErrorRetry,
        };

        // Same convention as the official providers: a value starting with http is an endpoint, anything else a region.
        if (DynamoDBServiceSetting.IsEndpoint(service))
        {
            config.ServiceURL = service;
        }
        else if (!string.IsNullOrWhiteSpace(service))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(service);
        }

        return new AmazonDynamoDBClient(config);
    }
}
