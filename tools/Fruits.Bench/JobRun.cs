using System.Text.Json;

namespace Fruits.Bench;

/// <summary>A measured job's `--json` result, the ceiling samples taken while it was paused, and how long it was paused.</summary>
public sealed record JobRun(JsonDocument Result, List<double> CeilingSamples, double PausedSeconds);
