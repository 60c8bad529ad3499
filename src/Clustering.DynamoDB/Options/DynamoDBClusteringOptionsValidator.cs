using Fruits.DynamoDB;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Fails silo start early with one readable line instead of a DynamoDB validation error later.</summary>
internal sealed class DynamoDBClusteringOptionsValidator(IOptions<DynamoDBClusteringOptions> options) : IConfigurationValidator
{
    public const string ProviderLabel = "DynamoDB clustering";

    public void ValidateConfiguration()
    {
        var value = options.Value;
        DynamoDBOptionsValidation.Validate(
            ProviderLabel,
            nameof(DynamoDBClusteringOptions),
            value.Service,
            value.TableName,
            value.MaxErrorRetry,
            value.ReadCapacityUnits,
            value.WriteCapacityUnits);
    }
}
