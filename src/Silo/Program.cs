using Fruits.Silo;
using Microsoft.Extensions.Hosting;

// Content root = the binary's folder so appsettings.json is found whatever the working directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFruitsLogging();
builder.AddFruitsSilo();
await builder.Build().RunAsync();
