using Fruits.Silo;
using Microsoft.Extensions.Hosting;

// Content root = the binary's folder so appsettings.json is found whatever the working directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFruitsLogging();
var hosting = SiloHostingOptions.From(builder.Configuration);
if (hosting.IsDynamoDB)
{
    var (address, source) = await AdvertisedAddress.ResolveAsync(hosting, CancellationToken.None);
    Console.Error.WriteLine($"fruits-silo: advertising {address} (from {source})");
    builder.AddFruitsSilo(o => o.AdvertisedIP = address.ToString());
}
else
{
    builder.AddFruitsSilo();
}

await builder.Build().RunAsync();
