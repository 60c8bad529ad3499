using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

public static class DynamoDBReminderSiloBuilderExtensions
{
    /// <summary>Adds reminders to the silo, stored in a DynamoDB table.</summary>
    public static ISiloBuilder UseDynamoDBReminderService(this ISiloBuilder builder, Action<DynamoDBReminderStorageOptions> configure) =>
        builder.ConfigureServices(services => services.UseDynamoDBReminderService(configure));

    /// <summary>Adds reminders to the silo, stored in a DynamoDB table; options through an <see cref="OptionsBuilder{TOptions}"/> (configuration binding, validation).</summary>
    public static ISiloBuilder UseDynamoDBReminderService(this ISiloBuilder builder, Action<OptionsBuilder<DynamoDBReminderStorageOptions>> configureOptions) =>
        builder.ConfigureServices(services => services.UseDynamoDBReminderService(configureOptions));
}
