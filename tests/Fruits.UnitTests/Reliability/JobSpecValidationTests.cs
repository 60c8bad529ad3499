using Fruits.Grains.Interfaces;

namespace Fruits.UnitTests.Reliability;

/// <summary>The spec's rules live in <see cref="JobSpec.Validate"/> alone; the client and the job grain both call it.</summary>
public sealed class JobSpecValidationTests
{
    private static readonly StorageLocationData In = new("/in");
    private static readonly StorageLocationData Out = new("/out");

    [Theory]
    [InlineData(0.0, null, 8, "--threshold must be within (0, 1]")]
    [InlineData(1.5, null, 8, "--threshold must be within (0, 1]")]
    [InlineData(double.NaN, null, 8, "--threshold must be within (0, 1]")]
    [InlineData(0.75, 0, 8, "--k must be within [1, 1280]")]
    [InlineData(0.75, 1281, 8, "--k must be within [1, 1280]")]
    [InlineData(0.75, null, 0, "--batch-size must be positive")]
    public void Refuses_with_the_option_named(double threshold, int? k, int batchSize, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new JobSpec(In, Out, new PcaSelectionData(threshold, k), batchSize).Validate());
        Assert.StartsWith(expected, error.Message);
    }

    [Theory]
    [InlineData(1.0, null)]
    [InlineData(0.5, 1280)]
    [InlineData(7.0, 1)]
    public void Accepts_the_limits_and_ignores_the_threshold_beside_a_fixed_k(double threshold, int? k) =>
        new JobSpec(In, Out, new PcaSelectionData(threshold, k), 1).Validate();
}
