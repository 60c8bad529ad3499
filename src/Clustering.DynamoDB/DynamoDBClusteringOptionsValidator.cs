using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Fails silo start early with a readable message instead of a DynamoDB validation error later.</summary>
internal sealed class DynamoDBClusteringOptionsValidator(IOptions<DynamoDBClusteringOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var value = options.Value;
        DynamoDBTableOptionsValidation.Validate(value, nameof(DynamoDBClusteringOptions));
        if (value.ReadCapacityUnits < 0 || value.WriteCapacityUnits < 0)
        {
            throw new OrleansConfigurationException(
                $"{nameof(DynamoDBClusteringOptions)}: capacity units must be 0 (pay per request) or positive.");
        }
    }
}
