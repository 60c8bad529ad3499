using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

public static class DynamoDBReminderStorageOptionsBuilderExtensions
{
    /// <summary>The subsection <see cref="BindDynamoDBSection"/> reads by default.</summary>
    public const string DefaultSubsection = "Reminders";

    /// <summary>
    /// Binds a configuration section shared by all DynamoDB providers of a host: <c>Service</c> and
    /// <c>MaxErrorRetry</c> from <paramref name="section"/> itself, then every option from
    /// <c><paramref name="section"/>:<paramref name="subsection"/></c>, which may override those two.
    /// </summary>
    /// <remarks>
    /// The shared section also carries the clustering table's <c>TableName</c> and <c>CreateIfNotExists</c>, which must
    /// not leak into the reminder table: binding the whole section to these options would point them at the membership table.
    /// </remarks>
    public static OptionsBuilder<DynamoDBReminderStorageOptions> BindDynamoDBSection(
        this OptionsBuilder<DynamoDBReminderStorageOptions> builder,
        IConfiguration section,
        string subsection = DefaultSubsection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        return builder
            .Configure(options =>
            {
                options.Service = section[nameof(DynamoDBReminderStorageOptions.Service)] ?? options.Service;
                options.MaxErrorRetry = section.GetValue(nameof(DynamoDBReminderStorageOptions.MaxErrorRetry), options.MaxErrorRetry);
            })
            .Bind(section.GetSection(subsection));
    }
}
