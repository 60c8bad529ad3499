using Fruits.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fruits.UnitTests.Classifying;

public sealed class ClassifyHostingTests
{
    [Fact]
    public void The_classifier_endpoint_is_off_unless_a_silo_enables_it()
    {
        Assert.False(new ClassifyHostingOptions().Enabled);
        Assert.Equal("127.0.0.1", new ClassifyHostingOptions().ListenAddress);
        Assert.False(RegistersClassifyServer(new Dictionary<string, string?>()));
        Assert.False(RegistersClassifyServer(new Dictionary<string, string?> { ["Fruits:Classify:Port"] = "18091" }));
        Assert.False(RegistersClassifyServer(new Dictionary<string, string?> { ["Fruits:Dashboard:Enabled"] = "true" }));
        Assert.True(RegistersClassifyServer(new Dictionary<string, string?> { ["Fruits:Classify:Enabled"] = "true" }));
    }

    [Theory]
    [InlineData(0, "127.0.0.1", "Fruits:Classify:Port must be within [1, 65535], got 0")]
    [InlineData(8081, "localhost", "Fruits:Classify:ListenAddress 'localhost' is not an IP address")]
    public void A_port_or_address_that_cannot_work_fails_at_startup(int port, string address, string message) =>
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => new ClassifyHostingOptions { Port = port, ListenAddress = address }.EndPoint()).Message);

    private static bool RegistersClassifyServer(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddFruitsSilo();
        return builder.Services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ClassifyServer));
    }
}
