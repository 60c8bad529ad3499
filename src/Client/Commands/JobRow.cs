using Fruits.Grains;
using Fruits.Grains.Interfaces;

namespace Fruits.Client.Commands;

/// <summary>One line of `fruits jobs`: the registry's record, with live progress for a job still running.</summary>
public sealed record JobRow(
    string JobId,
    string Input,
    string Output,
    JobPhase Phase,
    int? ImagesDone,
    int? ImagesTotal,
    bool Running,
    DateTime SubmittedUtc,
    DateTime? FinishedUtc);
