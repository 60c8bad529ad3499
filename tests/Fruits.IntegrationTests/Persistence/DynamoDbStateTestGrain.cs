using Orleans;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Persistence;

public sealed class DynamoDbStateTestGrain([PersistentState("s", "jobs")] IPersistentState<TestJobState> state)
    : Grain, IDynamoDbStateTestGrain, IRemindable
{
    public async Task Set(string value)
    {
        state.State.Value = value;
        state.State.Writes++;
        await state.WriteStateAsync();
    }

    public Task<TestJobState> Get() => Task.FromResult(state.State);

    public Task<bool> RecordExists() => Task.FromResult(state.RecordExists);

    public Task RegisterReminder(string name, TimeSpan period) => this.RegisterOrUpdateReminder(name, period, period);

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
