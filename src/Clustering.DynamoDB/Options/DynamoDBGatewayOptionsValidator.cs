using Fruits.DynamoDB;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Fails client start early with one readable line instead of a DynamoDB validation error later.</summary>
internal sealed class DynamoDBGatewayOptionsValidator(IOptions<DynamoDBGatewayOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var value = options.Value;

        // Clients never create the table, so they have no capacity settings to check.
        DynamoDBOptionsValidation.Validate(
            "DynamoDB gateway list",
            nameof(DynamoDBGatewayOptions),
            value.Service,
            value.TableName,
            value.MaxErrorRetry,
            readCapacityUnits: 0,
            writeCapacityUnits: 0);
    }
}
