using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;

[assembly: RegisterProvider("DynamoDB", "Reminders", "Silo", typeof(DynamoDBRemindersProviderBuilder))]

namespace Orleans.Hosting;

/// <summary>
/// Lets <c>UseOrleans()</c> add DynamoDB reminders from configuration alone: <c>Orleans:Reminders:ProviderType</c> =
/// <c>DynamoDB</c>, and the option names (<c>Service</c> or its alias <c>Region</c>, <c>TableName</c>, …) as keys of
/// the same section.
/// </summary>
internal sealed class DynamoDBRemindersProviderBuilder : IProviderBuilder<ISiloBuilder>
{
    /// <summary>Accepted for <c>Service</c>, as the official provider's configuration accepts it.</summary>
    internal const string RegionKey = "Region";

    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection) =>
        builder.UseDynamoDBReminderService((OptionsBuilder<DynamoDBReminderStorageOptions> options) => options
            .Bind(configurationSection)
            .Configure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.Service) && configurationSection[RegionKey] is { Length: > 0 } region)
                {
                    o.Service = region;
                }
            }));
}
