namespace Fruits.IntegrationTests.Persistence;

/// <summary>A grain with one persistent state in the "jobs" storage, and a reminder, for the DynamoDB silo tests.</summary>
public interface IDynamoDbStateTestGrain : IGrainWithStringKey
{
    Task Set(string value);

    Task<TestJobState> Get();

    Task<bool> RecordExists();

    Task RegisterReminder(string name, TimeSpan period);
}
