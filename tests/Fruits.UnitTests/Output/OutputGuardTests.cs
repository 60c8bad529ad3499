using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Output;

/// <summary>Where a job may write, table by table; "{t}" is a fresh temporary folder holding in/, a link to it and elsewhere/.</summary>
public sealed class OutputGuardTests : IDisposable
{
    private const string Home = "/home/tester";
    private readonly TempDirectory _directory = new("fruits-guard");

    public OutputGuardTests()
    {
        Directory.CreateDirectory(_directory.Combine("in/Apple"));
        Directory.CreateDirectory(_directory.Combine("elsewhere"));
        Directory.CreateSymbolicLink(_directory.Combine("link-to-in"), _directory.Combine("in"));
        Directory.CreateSymbolicLink(_directory.Combine("link-to-root"), "/");
    }

    [Theory]
    [InlineData("{t}/in", "{t}/out")]
    [InlineData("{t}/in", "{t}/elsewhere/out")]
    [InlineData("{t}/in", "{t}/in-out")] // a sibling sharing the name's start is not inside
    [InlineData("{t}/in/", "{t}/out/")]
    [InlineData("{t}/in", "/home/tester/fruits-out")]
    [InlineData("{t}/in", "/root/fruits/out")]
    [InlineData("s3://bucket/in", "s3://bucket/out")]
    [InlineData("s3://bucket/in", "s3://bucket/in-out")]
    [InlineData("s3://bucket/in", "s3://other/in")]
    [InlineData("s3://bucket", "s3://other/out")]
    [InlineData("s3://bucket/in", "{t}/in")]
    [InlineData("{t}/in", "s3://bucket/in")]
    public void Allowed(string input, string output) =>
        OutputGuard.Check(Location(input), Location(output), Home);

    [Theory]
    [InlineData("{t}/in", "{t}/in", "is the input")]
    [InlineData("{t}/in", "{t}/in/", "is the input")]
    [InlineData("{t}/in", "{t}/elsewhere/../in", "is the input")]
    [InlineData("{t}/in", "{t}/link-to-in", "is the input")]
    [InlineData("{t}/in", "{t}/in/out", "is inside the input")]
    [InlineData("{t}/in", "{t}/in/Apple/out", "is inside the input")]
    [InlineData("{t}/in", "{t}/link-to-in/out", "is inside the input")]
    [InlineData("{t}/link-to-in/Apple", "{t}/in", "contains the input")]
    [InlineData("{t}/in/Apple", "{t}", "contains the input")]
    [InlineData("{t}/in", "/", "is a filesystem root")]
    [InlineData("{t}/in", "{t}/link-to-root", "is a filesystem root")]
    [InlineData("{t}/in", "{t}/../../../../../..", "is a filesystem root")]
    [InlineData("{t}/in", "/home/tester", "is a home folder")]
    [InlineData("{t}/in", "/home/tester/", "is a home folder")]
    [InlineData("{t}/in", "/home/someone-else", "is a home folder")]
    [InlineData("{t}/in", "/home", "is a home folder")]
    [InlineData("{t}/in", "/root", "is a home folder")]
    [InlineData("s3://bucket/in", "s3://bucket/in", "is the input")]
    [InlineData("s3://bucket/in", "s3://bucket/in/out", "is inside the input")]
    [InlineData("s3://bucket/data/in", "s3://bucket/data", "contains the input")]
    [InlineData("s3://bucket", "s3://bucket/out", "is inside the input")]
    [InlineData("{t}/in", "s3://bucket", "is the root of bucket 'bucket'")]
    [InlineData("s3://other/in", "s3://bucket/", "is the root of bucket 'bucket'")]
    public void Refused(string input, string output, string why)
    {
        var error = Assert.Throws<ArgumentException>(() => OutputGuard.Check(Location(input), Location(output), Home));
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("refusing to write to ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void The_home_folder_of_the_process_and_folders_above_it_are_refused()
    {
        var home = _directory.Combine("users/me");
        Directory.CreateDirectory(home);

        Assert.Contains("is a home folder", Assert.Throws<ArgumentException>(() =>
            OutputGuard.Check(Location("{t}/in"), Location(home), home)).Message, StringComparison.Ordinal);
        Assert.Contains("contains the home folder", Assert.Throws<ArgumentException>(() =>
            OutputGuard.Check(Location("{t}/in"), Location("{t}/users"), home)).Message, StringComparison.Ordinal);
        OutputGuard.Check(Location("{t}/in"), Location(home + "/fruits-out"), home);
    }

    public void Dispose() => _directory.Dispose();

    // Built by hand rather than parsed, so the guard itself sees trailing slashes and "..".
    private StorageLocation Location(string value) => new(value.Replace("{t}", _directory.Path, StringComparison.Ordinal));
}
