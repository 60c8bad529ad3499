using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Fails client start early with a readable message.</summary>
internal sealed class DynamoDBGatewayOptionsValidator(IOptions<DynamoDBGatewayOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration() => DynamoDBTableOptionsValidation.Validate(options.Value, nameof(DynamoDBGatewayOptions));
}
