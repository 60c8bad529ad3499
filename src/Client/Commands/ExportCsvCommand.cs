using System.CommandLine;
using System.Globalization;
using System.Text;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Client.Commands;

/// <summary>
/// `fruits export-csv OUTPUT FILE.csv`: the seed's final export (path, label, pca features as a JSON
/// array string, the image as base64), streamed row by row.
/// </summary>
public sealed class ExportCsvCommand : FruitsCommand
{
    private readonly Argument<string> _output = new("OUTPUT") { Description = "a finished job's output folder or s3://bucket/prefix" };
    private readonly Argument<string> _file = new("FILE.csv") { Description = "the CSV file to write (replaced when it exists)" };

    public ExportCsvCommand(GlobalOptions global)
        : base("export-csv", "path, label, pca features (a JSON array) and the image (base64) of every row, as CSV", global)
    {
        Arguments.Add(_output);
        Arguments.Add(_file);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        using var stores = OutputStores.FromConfiguration();
        var reader = new OutputReader(stores.Open(StorageLocation.Parse(parse.GetRequiredValue(_output))));
        var target = Path.GetFullPath(parse.GetRequiredValue(_file));
        var temporary = target + ".tmp";
        var rows = 0;
        await using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(false)))
        {
            await writer.WriteLineAsync("path,label,pca_features,image_base64");
            await foreach (var row in reader.RowsAsync(cancellationToken))
            {
                var image = await ReadImageAsync(stores.Factory, row.Path, cancellationToken);
                var pca = "[" + string.Join(",", row.PcaFeatures.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
                await writer.WriteLineAsync($"{Csv(row.Path)},{Csv(row.Label)},{Csv(pca)},{Convert.ToBase64String(image)}");
                rows++;
            }
        }

        File.Move(temporary, target, overwrite: true);
        Console.WriteLine(settings.Json ? System.Text.Json.JsonSerializer.Serialize(new { rows, output = target }) : $"{rows:N0} rows written to {target}");
        return ExitCodes.Success;
    }

    private static async Task<byte[]> ReadImageAsync(IObjectStoreFactory stores, string path, CancellationToken cancellationToken)
    {
        if (!path.StartsWith("s3://", StringComparison.Ordinal))
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }

        var (bucket, key) = ObjectStoreFactory.SplitS3(path);
        return await stores.Open(new StorageLocation($"s3://{bucket}")).ReadAllBytesAsync(key, long.MaxValue, cancellationToken);
    }

    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny("\",\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
