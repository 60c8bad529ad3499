using System.Globalization;
using Microsoft.Extensions.Options;

namespace Fruits.Grains;

/// <summary>Refuses at silo start an expected sha256 that no model file could ever match.</summary>
public sealed class SiloReadinessOptionsValidator : IValidateOptions<SiloReadinessOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloReadinessOptions options)
    {
        var expected = options.ExpectedModelSha256;
        return expected.Length == 0 || (expected.Length == 64 && expected.All(char.IsAsciiHexDigit))
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{SiloReadinessOptions.Section}:{nameof(SiloReadinessOptions.ExpectedModelSha256)} must be 64 hex digits (a sha256), got '{expected}'"));
    }
}
