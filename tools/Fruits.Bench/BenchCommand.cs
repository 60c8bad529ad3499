using System.CommandLine;
using System.CommandLine.Help;
using Fruits.Client.Commands;
using Fruits.Models;

namespace Fruits.Bench;

/// <summary>The `fruits-bench` command line; its action runs <see cref="Bench"/>.</summary>
public sealed class BenchCommand : RootCommand
{
    private readonly Option<string?> _input = new("--input")
    {
        Description = "the images to measure on (default: the shared Fruits-360 Test split)",
        HelpName = "DIR",
    };

    private readonly Option<int?> _subset = NumberOptions.Integer("--subset", "images in the first, short job (default 2000)", "N");
    private readonly Option<double?> _seconds = NumberOptions.Number("--seconds", "how long each ceiling and preprocessing measurement runs (default 20)", "SECONDS");
    private readonly Option<bool> _noFull = new("--no-full") { Description = "skip the job over the whole input (and the stage measurements on its output)" };
    private readonly Option<int?> _repeatTo = NumberOptions.Integer("--repeat-to", "also a job over the input linked repeatedly up to about N images", "N");
    private readonly Option<double?> _probeEvery = NumberOptions.Number("--probe-every", "seconds between ceiling samples taken while a job is paused (default 30; 0 = none)", "SECONDS");
    private readonly Option<double?> _probeSeconds = NumberOptions.Number("--probe-seconds", "length of each mid-job ceiling sample (default 4)", "SECONDS");
    private readonly Option<string?> _classify = new("--classify")
    {
        Description = "instead of jobs: the classifier (fruits serve) against bare inference, on this finished local output",
        HelpName = "OUTPUT",
    };

    private readonly Option<bool> _reuse = new("--reuse") { Description = "also the feature store and refit section: cold off/on, warm rerun, input + 1,000 new images, refit" };
    private readonly Option<bool> _reuseOnly = new("--reuse-only") { Description = "only the feature store and refit section" };

    private readonly Option<string?> _report = new("--report") { Description = "also write the printed lines to this file", HelpName = "FILE" };
    private readonly Option<bool> _int8Study = new("--int8-study") { Description = "instead: the int8 fidelity and speed study (docs/BENCHMARKS.md, int8)" };
    private readonly Option<int?> _int8Images = NumberOptions.Integer("--int8-images", "calibration images (default 256)", "N");
    private readonly Option<int?> _int8Evaluate = NumberOptions.Integer("--int8-evaluate", "evaluation images, none of them calibration images (default: as many as --int8-images)", "N");
    private readonly Option<int?> _int8Rounds = NumberOptions.Integer("--int8-rounds", "interleaved speed rounds per model (default 4; 0 = no speed measurement)", "N");
    private readonly Option<string?> _int8Only = new("--int8-only") { Description = "only these recipes, comma-separated", HelpName = "NAMES" };

    public BenchCommand()
        : base("""
            fruits-bench: in one run on one machine, the bare ONNX Runtime ceiling, preprocessing alone, a naive
            per-image baseline and full `fruits run` jobs, with ratios (docs/BENCHMARKS.md)
            """)
    {
        // Only --help and -h: the default's "/h" and "/?" are also valid paths on Unix.
        foreach (var help in Options.OfType<HelpOption>().ToList())
        {
            Options.Remove(help);
        }

        Options.Add(new HelpOption("--help", ["-h"]));
        Options.Add(Json);
        Options.Add(_input);
        Options.Add(_subset);
        Options.Add(_seconds);
        Options.Add(_noFull);
        Options.Add(_repeatTo);
        Options.Add(_probeEvery);
        Options.Add(_probeSeconds);
        Options.Add(_report);
        Options.Add(_classify);
        Options.Add(_reuse);
        Options.Add(_reuseOnly);
        Options.Add(_int8Study);
        Options.Add(_int8Images);
        Options.Add(_int8Evaluate);
        Options.Add(_int8Rounds);
        Options.Add(_int8Only);
        SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(_classify) is { } output)
            {
                var model = await new ModelProvisioner().EnsureAsync(ModelLocations.DefaultModelPath(), ModelLocations.DefaultWeightsDirectory(), cancellationToken);
                return await ClassifyBench.RunAsync(output, model.Path, parse.GetValue(_seconds) ?? 20, parse.GetValue(_report), parse.GetValue(Json), cancellationToken);
            }

            if (parse.GetValue(_int8Study))
            {
                var calibration = parse.GetValue(_int8Images) ?? CalibrationImages.DefaultCount;
                return await Int8Study.RunAsync(Read(parse).Input, calibration, parse.GetValue(_int8Evaluate) ?? calibration,
                    parse.GetValue(_seconds) ?? 5, parse.GetValue(_int8Rounds) ?? 4, parse.GetValue(_int8Only), cancellationToken);
            }

            return await Bench.RunAsync(Read(parse), cancellationToken);
        });
    }

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "the table lines go to stderr; stdout is one JSON object with every figure",
    };

    private BenchSettings Read(ParseResult parse) => new(
        Path.GetFullPath(parse.GetValue(_input) ?? Path.Combine(ModelLocations.SharedRoot() ?? ".", "data", "fruits-360", "Test")),
        parse.GetValue(_subset) ?? 2000,
        parse.GetValue(_seconds) ?? 20,
        !parse.GetValue(_noFull),
        parse.GetValue(_repeatTo) ?? 0,
        parse.GetValue(_probeEvery) ?? 30,
        parse.GetValue(_probeSeconds) ?? 4,
        parse.GetValue(_report),
        parse.GetValue(Json),
        parse.GetValue(_reuse),
        parse.GetValue(_reuseOnly));
}
