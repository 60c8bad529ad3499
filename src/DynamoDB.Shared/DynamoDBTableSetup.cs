namespace Fruits.DynamoDB;

/// <summary>What <see cref="DynamoDBTableInitializer"/> needs besides the table definition.</summary>
/// <param name="Provider">Names the provider in log lines and errors, such as <c>DynamoDB grain storage 'jobs'</c>.</param>
/// <param name="Service">The provider's <c>Service</c> setting, quoted in errors so the reader sees where it looked.</param>
internal sealed record DynamoDBTableSetup(
    string Provider,
    string Service,
    bool CreateIfNotExists,
    int ReadCapacityUnits,
    int WriteCapacityUnits)
{
    public string Where => string.IsNullOrWhiteSpace(Service) ? "the SDK default region" : Service;
}
