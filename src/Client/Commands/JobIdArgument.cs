using System.CommandLine;

namespace Fruits.Client.Commands;

/// <summary>The JOB_ID positional argument of the commands that act on one job.</summary>
public static class JobIdArgument
{
    public static Argument<string> Create() => new("JOB_ID")
    {
        Description = "the job's id, as printed by `fruits submit` or listed by `fruits jobs`",
    };
}
