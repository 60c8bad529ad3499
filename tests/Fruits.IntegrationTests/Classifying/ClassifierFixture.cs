using Fruits.Grains;
using Fruits.Grains.Hosting;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Storage;
using Orleans.TestingHost;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>
/// One small finished output shared by the classifier's tests: a real job over 10 labels x 12 real images on a
/// two-silo cluster whose index shards hold at most 40 rows (so the output is several shards spread over both
/// silos), plus photos of the same labels that the job never saw, and one image planted again under another label.
/// </summary>
public sealed class ClassifierFixture : IAsyncLifetime
{
    public const int Labels = 10;
    public const int PerLabel = 12;
    public const int HeldOutPerLabel = 2;
    public const int RowsPerShard = 40;

    private readonly TempDirectory _temp = new();
    private Task<ServeProcess>? _server;

    public TestCluster Cluster { get; private set; } = null!;

    public string Output => _temp.Combine("output");

    public string Input => _temp.Combine("input");

    /// <summary>(photo path, its true label) for images of the input's labels that are not in the input.</summary>
    public IReadOnlyList<(string Path, string Label)> HeldOut { get; private set; } = [];

    /// <summary>The planted copy: an image of <see cref="PlantedFrom"/>'s label stored again under another label.</summary>
    public string PlantedCopy { get; private set; } = "";

    public string PlantedFrom { get; private set; } = "";

    public string Combine(string name) => _temp.Combine(name);

    /// <summary>One `fruits serve` of the output for every HTTP test, with a small body limit to test 413 against.</summary>
    public Task<ServeProcess> ServerAsync() =>
        _server ??= ServeProcess.StartAsync(Output, new Dictionary<string, string> { ["Fruits__Classify__MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public const int MaxBodyBytes = 1_000_000;

    public async Task InitializeAsync()
    {
        await TestModel.EnsureAsync();
        ImageSubset.CopyTo(Input, Labels, PerLabel);
        var labels = Directory.GetDirectories(Input).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();
        var heldOut = new List<(string, string)>();
        foreach (var label in labels)
        {
            // Images the job never saw: the 31st and 46th of the label's folder in path order (every folder has over 100).
            var files = Directory.GetFiles(Path.Combine(TestPaths.TestImagesRoot, label), "*.jpg").Order(StringComparer.Ordinal).ToList();
            heldOut.Add((files[30], label));
            heldOut.Add((files[45], label));
        }

        HeldOut = heldOut;
        PlantedFrom = Directory.GetFiles(Path.Combine(Input, labels[0])).Order(StringComparer.Ordinal).First();
        PlantedCopy = Path.Combine(Input, labels[^1], "planted-copy.jpg");
        File.Copy(PlantedFrom, PlantedCopy);

        var builder = new TestClusterBuilder(initialSilosCount: 2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();

        var spec = new JobSpec(StorageLocation.Parse(Input).ToContract(), StorageLocation.Parse(Output).ToContract(), new PcaSelectionData(0.75), BatchSize: 16,
            PartSizeBytes: 1024); // a part per batch: shards hold whole parts, and the index must span several
        var job = Cluster.GrainFactory.GetGrain<IJobGrain>("classifier-fixture");
        var status = await job.Start(spec);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (!status.IsFinished && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            status = await job.GetStatus();
        }

        if (status.Phase != JobPhase.Completed)
        {
            throw new InvalidOperationException($"the fixture's job ended {status.Phase}: {status.Error}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is { IsCompletedSuccessfully: true })
        {
            await (await _server).DisposeAsync();
        }

        await Cluster.DisposeAsync();
        _temp.Dispose();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.UseFruitsPipeline(o => o.MaxConcurrentBatches = 1)
                .UseFruitsClassifier(o =>
                {
                    o.RowsPerShard = RowsPerShard;
                    // Every query checks whether its output was rewritten, so a test can rewrite one.
                    o.RecheckInterval = TimeSpan.Zero;
                })
                .AddMemoryGrainStorage(JobsOptions.StorageName)
                .UseInMemoryReminderService();
    }
}

[CollectionDefinition(Name)]
public sealed class ClassifierCollection : ICollectionFixture<ClassifierFixture>
{
    public const string Name = "classifier output";
}
