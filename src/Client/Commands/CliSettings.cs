namespace Fruits.Client.Commands;

/// <summary>The options every command shares, read once from the command line.</summary>
/// <param name="Json">stdout is exactly one JSON object; progress goes to stderr as JSON lines.</param>
/// <param name="Verbose">Logs from Orleans and the embedded silo on the console; full exception details on errors.</param>
public sealed record CliSettings(bool Json, bool Verbose);
