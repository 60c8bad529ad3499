using Fruits.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Fruits.Tests.Storage;

public sealed class StorageExceptionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Crosses_a_grain_call_with_its_message_and_transience(bool transient)
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();

        var copy = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(new StorageException("s3://b/k: SlowDown", isTransient: transient)));

        var storage = Assert.IsType<StorageException>(copy);
        Assert.Equal("s3://b/k: SlowDown", storage.Message);
        Assert.Equal(transient, storage.IsTransient);
    }
}
