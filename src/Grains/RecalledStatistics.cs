using Fruits.Pipeline.Statistics;

namespace Fruits.Grains;

/// <summary>Statistics an earlier job computed from the rows named <see cref="Fingerprint"/>, and its fit for this job's selection if kept.</summary>
public sealed record RecalledStatistics(string Fingerprint, byte[] Moments, MomentStatistics Statistics, PcaModel? Model);
