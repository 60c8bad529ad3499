using System.Globalization;
using System.Text;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Client;

/// <summary>
/// `fruits export-csv OUTPUT FILE.csv`: the seed's final export (path, label, pca features as a JSON
/// array string, the image as base64), streamed row by row.
/// </summary>
public static class ExportCsvCommand
{
    public static async Task<int> RunAsync(CliArguments cli, bool json, CancellationToken cancellationToken)
    {
        if (cli.Positionals.Count != 2)
        {
            throw new UsageException("usage: fruits export-csv OUTPUT FILE.csv");
        }

        cli.RejectUnknown();
        var stores = new ObjectStoreFactory(Microsoft.Extensions.Options.Options.Create(new S3StorageOptions()));
        var reader = new OutputReader(stores.Open(StorageLocation.Parse(cli.Positionals[0])));
        var target = Path.GetFullPath(cli.Positionals[1]);
        var temporary = target + ".tmp";
        var rows = 0;
        await using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(false)))
        {
            await writer.WriteLineAsync("path,label,pca_features,image_base64");
            await foreach (var row in reader.RowsAsync(cancellationToken))
            {
                var image = await ReadImageAsync(stores, row.Path, cancellationToken);
                var pca = "[" + string.Join(",", row.PcaFeatures.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
                await writer.WriteLineAsync($"{Csv(row.Path)},{Csv(row.Label)},{Csv(pca)},{Convert.ToBase64String(image)}");
                rows++;
            }
        }

        File.Move(temporary, target, overwrite: true);
        Console.WriteLine(json ? System.Text.Json.JsonSerializer.Serialize(new { rows, output = target }) : $"{rows:N0} rows written to {target}");
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
