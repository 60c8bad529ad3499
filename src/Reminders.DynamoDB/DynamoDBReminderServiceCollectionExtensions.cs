using Fruits.Reminders.DynamoDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Configuration.Internal;

namespace Orleans.Hosting;

public static class DynamoDBReminderServiceCollectionExtensions
{
    /// <summary>Adds reminders, stored in a DynamoDB table.</summary>
    public static IServiceCollection UseDynamoDBReminderService(this IServiceCollection services, Action<DynamoDBReminderStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.UseDynamoDBReminderService(ob => ob.Configure(configure));
    }

    /// <summary>Adds reminders, stored in a DynamoDB table; options through an <see cref="OptionsBuilder{TOptions}"/> (configuration binding, validation).</summary>
    public static IServiceCollection UseDynamoDBReminderService(this IServiceCollection services, Action<OptionsBuilder<DynamoDBReminderStorageOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configureOptions);
        configureOptions(services.AddOptions<DynamoDBReminderStorageOptions>());
        services.AddReminders();
        services.AddSingleton<IReminderTable, DynamoDBReminderTable>();
        services.AddSingleton<IConfigurationValidator, DynamoDBReminderStorageOptionsValidator>();
        services.ConfigureFormatter<DynamoDBReminderStorageOptions>();
        return services;
    }
}
