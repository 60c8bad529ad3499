using Fruits.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fruits.Grains.Hosting;

public static class FruitsSiloBuilderExtensions
{
    /// <summary>Adds the featurizer pipeline's grains' services, options bound from "Fruits:Featurizer".</summary>
    public static ISiloBuilder UseFruitsPipeline(this ISiloBuilder builder, Action<FeaturizerOptions>? configure = null)
    {
        var options = builder.Services.AddOptions<FeaturizerOptions>().BindConfiguration(FeaturizerOptions.Section);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.AddFruitsObjectStores();
        builder.Services.AddSingleton<FeaturizerModel>();
        builder.Services.AddSingleton<FeaturizerSessionPool>();
        builder.Services.AddOptions<SiloReadinessOptions>().BindConfiguration(SiloReadinessOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SiloReadinessOptions>, SiloReadinessOptionsValidator>();
        builder.Services.AddSingleton<FeaturizerReadiness>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, FeaturizerWarmup>();
        builder.Services.AddSingleton<PcaModelCache>();
        builder.Services.AddSingleton<FeatureStoreCache>();
        builder.Services.AddSingleton<FeatureStoreWrites>();
        builder.Services.AddOptions<FeatureStoreOptions>().BindConfiguration(FeatureStoreOptions.Section)
            .Validate(o => o.FeatureStoreKeptStatistics >= 0, $"{FeatureStoreOptions.Section}:{nameof(FeatureStoreOptions.FeatureStoreKeptStatistics)} must be 0 or more")
            .ValidateOnStart();
        builder.Services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section);
        builder.Services.AddSingleton<SiloStatisticsStore>();
        builder.Services.AddSingleton<ProjectionFeatureCache>();
        builder.Services.AddSingleton<SiloWorkload>();
        builder.Services.AddSingleton<DrivenJobs>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SiloDrain>();
        builder.AddPlacementDirector<SiloBoundPlacementStrategy, SiloBoundPlacementDirector>();
        builder.AddIncomingGrainCallFilter<StorageFaultFilter>();
        return builder;
    }

    /// <summary>
    /// The classifier's grains' options, bound from "Fruits:Classify". The grains themselves cost nothing until an
    /// output is first classified; serving them over HTTP is the silo host's choice.
    /// </summary>
    public static ISiloBuilder UseFruitsClassifier(this ISiloBuilder builder, Action<ClassifyOptions>? configure = null)
    {
        var options = builder.Services.AddOptions<ClassifyOptions>().BindConfiguration(ClassifyOptions.Section);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.AddSingleton<PhotoFeaturizer>();
        return builder;
    }
}
