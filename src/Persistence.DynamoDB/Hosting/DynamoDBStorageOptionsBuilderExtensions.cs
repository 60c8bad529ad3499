using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

public static class DynamoDBStorageOptionsBuilderExtensions
{
    /// <summary>The subsection <see cref="BindDynamoDBSection"/> reads by default.</summary>
    public const string DefaultSubsection = "Storage";

    /// <summary>
    /// Binds a configuration section shared by all DynamoDB providers of a host: <c>Service</c> and
    /// <c>MaxErrorRetry</c> from <paramref name="section"/> itself, then every option from
    /// <c><paramref name="section"/>:<paramref name="subsection"/></c>, which may override those two.
    /// </summary>
    /// <remarks>
    /// The shared section also carries the clustering table's <c>TableName</c> and <c>CreateIfNotExists</c>, which must
    /// not leak into the grain storage: binding the whole section to these options would point them at the membership table.
    /// </remarks>
    public static OptionsBuilder<DynamoDBStorageOptions> BindDynamoDBSection(
        this OptionsBuilder<DynamoDBStorageOptions> builder,
        IConfiguration section,
        string subsection = DefaultSubsection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        return builder
            .Configure(options =>
            {
                options.Service = section[nameof(DynamoDBStorageOptions.Service)] ?? options.Service;
                options.MaxErrorRetry = section.GetValue(nameof(DynamoDBStorageOptions.MaxErrorRetry), options.MaxErrorRetry);
            })
            .Bind(section.GetSection(subsection));
    }
}
