using Fruits.DynamoDB;
using Orleans;
using Orleans.Configuration;

namespace Fruits.Persistence.DynamoDB;

/// <summary>Fails silo start early with one readable line instead of a DynamoDB validation error on the first grain.</summary>
internal sealed class DynamoDBStorageOptionsValidator(DynamoDBStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration() =>
        DynamoDBOptionsValidation.Validate(
            DynamoDBGrainStorage.ProviderLabel(name),
            nameof(DynamoDBStorageOptions),
            options.Service,
            options.TableName,
            options.MaxErrorRetry,
            options.ReadCapacityUnits,
            options.WriteCapacityUnits);
}
