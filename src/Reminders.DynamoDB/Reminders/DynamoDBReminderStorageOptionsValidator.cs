using Fruits.DynamoDB;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;

namespace Fruits.Reminders.DynamoDB;

/// <summary>Fails silo start early with one readable line instead of a DynamoDB validation error later.</summary>
internal sealed class DynamoDBReminderStorageOptionsValidator(IOptions<DynamoDBReminderStorageOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var value = options.Value;
        DynamoDBOptionsValidation.Validate(
            DynamoDBReminderTable.ProviderLabel,
            nameof(DynamoDBReminderStorageOptions),
            value.Service,
            value.TableName,
            value.MaxErrorRetry,
            value.ReadCapacityUnits,
            value.WriteCapacityUnits);
    }
}
