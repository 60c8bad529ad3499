using System.CommandLine;
using System.Text.Json;
using Fruits.Models;

namespace Fruits.Client.Commands;

/// <summary>`fruits model build`: builds the ONNX featurizer from the raw weights (jobs also do it on first use).</summary>
public sealed class ModelBuildCommand : FruitsCommand
{
    private readonly Option<string?> _weights = new("--weights") { Description = "the folder of raw MobileNetV2 weights (default: the shared models folder)", HelpName = "DIR" };
    private readonly Option<string?> _output = new("--output") { Description = "where the .onnx model is written (default: where jobs look for it)", HelpName = "PATH" };

    public ModelBuildCommand(GlobalOptions global)
        : base("build", "build the ONNX featurizer from the raw weights (done automatically on first use); prints its path and sha256", global)
    {
        Options.Add(_weights);
        Options.Add(_output);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var output = parse.GetValue(_output) ?? ModelLocations.DefaultModelPath();
        var weights = parse.GetValue(_weights) ?? ModelLocations.DefaultWeightsDirectory();
        var info = await new ModelProvisioner().EnsureAsync(output, weights, cancellationToken);
        Console.WriteLine(settings.Json ? JsonSerializer.Serialize(new { path = info.Path, sha256 = info.Sha256 }) : $"{info.Path} sha256 {info.Sha256}");
        return ExitCodes.Success;
    }
}
