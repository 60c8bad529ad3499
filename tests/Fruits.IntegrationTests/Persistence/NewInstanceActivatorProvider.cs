using Orleans.Serialization.Activators;
using Orleans.Serialization.Serializers;

namespace Fruits.IntegrationTests.Persistence;

/// <summary>Default state instances for provider tests outside a silo.</summary>
public sealed class NewInstanceActivatorProvider : IActivatorProvider
{
    public IActivator<T> GetActivator<T>() => new NewInstanceActivator<T>();
}
