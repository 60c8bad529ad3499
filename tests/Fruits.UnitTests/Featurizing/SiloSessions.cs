using Fruits.Grains;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fruits.UnitTests.Featurizing;

/// <summary>A silo's featurizer model and session pool over the repository's model, built as the silo builds them.</summary>
internal sealed class SiloSessions : IDisposable
{
    private SiloSessions(string modelPath, int slots)
    {
        ModelPath = modelPath;
        Options = Microsoft.Extensions.Options.Options.Create(new FeaturizerOptions { ModelPath = modelPath, WeightsDirectory = TestPaths.WeightsDirectory, MaxConcurrentBatches = slots });
        Model = new FeaturizerModel(Options);
        Pool = new FeaturizerSessionPool(Model, Options, NullLogger<FeaturizerSessionPool>.Instance);
    }

    public string ModelPath { get; }

    public IOptions<FeaturizerOptions> Options { get; }

    public FeaturizerModel Model { get; }

    public FeaturizerSessionPool Pool { get; }

    public static async Task<SiloSessions> CreateAsync(int slots) => new((await TestModel.EnsureAsync()).Path, slots);

    public void Dispose() => Pool.Dispose();
}
