namespace Fruits.Bench;

/// <summary>What one bench run measures; see <see cref="BenchCommand"/> for each setting's meaning.</summary>
public sealed record BenchSettings(
    string Input,
    int Subset,
    double Seconds,
    bool Full,
    int RepeatTo,
    double ProbeEvery,
    double ProbeSeconds,
    string? Report,
    bool Json,
    bool Reuse = false,
    bool ReuseOnly = false);
