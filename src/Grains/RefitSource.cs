namespace Fruits.Grains;

/// <summary>What <see cref="OutputRefit.CheckAsync"/> found in the output to refit.</summary>
/// <param name="Parts">The output's final parts, by key.</param>
/// <param name="Finished">
/// Whether the output has its _SUCCESS: false only for an output whose refit in place was cut short, which the refit
/// resumes.
/// </param>
public sealed record RefitSource(IReadOnlyList<string> Parts, bool Finished);
