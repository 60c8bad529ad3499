using Orleans.Serialization.Activators;

namespace Fruits.IntegrationTests.Persistence;

public sealed class NewInstanceActivator<T> : IActivator<T>
{
    public T Create() => Activator.CreateInstance<T>();
}
