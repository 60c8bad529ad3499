using System.CommandLine;

namespace Fruits.Client.Commands;

/// <summary>`fruits model`: the featurizer's ONNX model; its one subcommand is `build`.</summary>
public sealed class ModelCommand : Command
{
    public ModelCommand(GlobalOptions global)
        : base("model", "the featurizer's ONNX model")
    {
        Subcommands.Add(new ModelBuildCommand(global));
    }
}
