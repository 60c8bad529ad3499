using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Fruits.Client.Commands;

/// <summary>
/// Integer and number options that read their value in the invariant culture and, when it is not a number,
/// fail with one line that names the option and the value given.
/// </summary>
public static class NumberOptions
{
    public static Option<int?> Integer(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => Parse<int>(result, name, "an integer",
            text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null),
    };

    /// <param name="positive">Refuse zero and negative values too.</param>
    public static Option<double?> Number(string name, string description, string helpName, bool positive = false) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var value = Parse<double>(result, name, "a number",
                text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null);
            if (positive && value is <= 0)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be positive, got {value}"));
                return null;
            }

            return value;
        },
    };

    /// <summary>A size in bytes: a whole number, optionally with KB, MB or GB (powers of 1024), e.g. 128MB.</summary>
    public static Option<long?> Size(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var size = Parse<long>(result, name, "a positive size such as 128MB", text =>
            {
                var trimmed = text.Trim().ToUpperInvariant();
                var (digits, scale) = trimmed.EndsWith("GB", StringComparison.Ordinal) ? (trimmed[..^2], 1L << 30)
                    : trimmed.EndsWith("MB", StringComparison.Ordinal) ? (trimmed[..^2], 1L << 20)
                    : trimmed.EndsWith("KB", StringComparison.Ordinal) ? (trimmed[..^2], 1L << 10)
                    : (trimmed, 1L);
                return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= long.MaxValue / scale
                    ? value * scale
                    : null;
            });
            return size;
        },
    };

    private static T? Parse<T>(ArgumentResult result, string name, string kind, Func<string, T?> parse)
        where T : struct
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (parse(text) is { } value)
        {
            return value;
        }

        result.AddError($"{name} must be {kind}, got '{text}'");
        return null;
    }
}
