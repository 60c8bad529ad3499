using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Fruits.UnitTests.Storage;

public sealed class StorageExceptionTests
{
    /// <summary>
    /// A featurizer's storage error reaches the job's dispatcher on another silo: what the grains report must keep the
    /// readable line and whether a retry may succeed.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Crosses_a_grain_call_with_its_message_and_transience(bool transient)
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var reported = new StorageException("s3://b/k: SlowDown", isTransient: transient).ToContract();

        var copy = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(reported));

        var storage = Assert.IsType<StorageFaultException>(copy);
        Assert.Equal("s3://b/k: SlowDown", storage.Message);
        Assert.Equal(transient, storage.IsTransient);
    }

    [Fact]
    public void The_contract_limit_on_k_is_the_featurizer_length() =>
        Assert.Equal(OnnxFeaturizer.FeatureLength, JobSpec.MaxComponents);
}
