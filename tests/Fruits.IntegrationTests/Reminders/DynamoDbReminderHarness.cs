using Fruits.Reminders.DynamoDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Fruits.IntegrationTests.Reminders;

/// <summary>Builds reminder tables on the shared moto server, outside a silo.</summary>
internal static class DynamoDbReminderHarness
{
    public static DynamoDBReminderTable Create(string endpoint, string tableName, string serviceId) =>
        new(
            Options.Create(new DynamoDBReminderStorageOptions { Service = endpoint, TableName = tableName }),
            Options.Create(new ClusterOptions { ClusterId = "reminder-tests", ServiceId = serviceId }),
            NullLogger<DynamoDBReminderTable>.Instance);
}
