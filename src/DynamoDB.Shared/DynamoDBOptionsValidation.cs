using Orleans.Runtime;

namespace Fruits.DynamoDB;

/// <summary>
/// Checks of the settings every DynamoDB provider has, so a bad value fails silo start with one line naming the
/// provider and the setting, instead of a DynamoDB validation error on the first request.
/// </summary>
internal static class DynamoDBOptionsValidation
{
    public static void Validate(string provider, string optionsName, string? service, string? tableName, int maxErrorRetry, int readCapacityUnits, int writeCapacityUnits)
    {
        if (DynamoDBServiceSetting.Problem(service) is { } serviceProblem)
        {
            throw Invalid(provider, $"{optionsName}.Service {serviceProblem}.");
        }

        if (TableNameProblem(tableName) is { } tableProblem)
        {
            throw Invalid(provider, $"{optionsName}.TableName {tableProblem}.");
        }

        if (maxErrorRetry < 0)
        {
            throw Invalid(provider, $"{optionsName}.MaxErrorRetry must not be negative (it is {maxErrorRetry}).");
        }

        if (readCapacityUnits < 0 || writeCapacityUnits < 0)
        {
            throw Invalid(provider, $"{optionsName}.ReadCapacityUnits and WriteCapacityUnits must be 0 (pay per request) or positive.");
        }
    }

    // DynamoDB table names: 3-255 characters of [a-zA-Z0-9_.-].
    private static string? TableNameProblem(string? tableName) =>
        string.IsNullOrWhiteSpace(tableName) ? "is empty"
        : tableName.Length is < 3 or > 255 || !tableName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
            ? $"'{tableName}' is not a valid DynamoDB table name (3-255 characters of letters, digits, '_', '-', '.')"
            : null;

    private static OrleansConfigurationException Invalid(string provider, string problem) =>
        new($"Invalid configuration of {provider}: {problem}");
}
