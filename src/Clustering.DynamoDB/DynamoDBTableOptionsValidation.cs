using Fruits.DynamoDB;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Fruits.Clustering.DynamoDB;

internal static class DynamoDBTableOptionsValidation
{
    public static void Validate(DynamoDBTableOptions options, string optionsName)
    {
        if (DynamoDBServiceSetting.Problem(options.Service) is { } serviceProblem)
        {
            throw new OrleansConfigurationException($"{optionsName}.{nameof(DynamoDBTableOptions.Service)} {serviceProblem}.");
        }

        // DynamoDB table names: 3-255 characters of [a-zA-Z0-9_.-].
        if (string.IsNullOrWhiteSpace(options.TableName)
            || options.TableName.Length is < 3 or > 255
            || !options.TableName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new OrleansConfigurationException($"{optionsName}.{nameof(DynamoDBTableOptions.TableName)} '{options.TableName}' is not a valid DynamoDB table name.");
        }

        if (options.MaxErrorRetry < 0)
        {
            throw new OrleansConfigurationException($"{optionsName}.{nameof(DynamoDBTableOptions.MaxErrorRetry)} must not be negative.");
        }
    }
}
