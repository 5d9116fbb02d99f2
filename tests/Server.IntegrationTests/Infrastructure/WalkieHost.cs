using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>A real WalkieTalkie server in this process: Kestrel on a free loopback port, real PostgreSQL.</summary>
public sealed class WalkieHost : IAsyncDisposable
{
    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public IServiceProvider Services => App.Services;

    readonly string _mediaPath;

    WalkieHost(WebApplication app, Uri baseAddress, string mediaPath)
    {
        App = app;
        BaseAddress = baseAddress;
        _mediaPath = mediaPath;
    }

    public static async Task<WalkieHost> StartAsync(string connectionString, IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        // Settings go in as command-line configuration: services read some of them while being registered.
        var all = new Dictionary<string, string?>
        {
            ["environment"] = "Development",
            ["ConnectionStrings:walkie"] = connectionString,
            // WALKIE_TEST_LOG_LEVEL=Information shows what the servers did when a test needs explaining.
            ["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("WALKIE_TEST_LOG_LEVEL") ?? "Warning",
            // Tests create many users; the KDF cost is production's concern.
            ["Passwords:Iterations"] = "1000",
            // Uploaded media goes to a folder of this server's own, removed with it.
            ["Media:Path"] = Path.Combine(Path.GetTempPath(), $"walkie-tests-media-{Guid.NewGuid():N}"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        var args = all.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();

        var app = WalkieServer.Create(args, builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new WalkieHost(app, new Uri(address), all["Media:Path"]!);
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (Directory.Exists(_mediaPath)) Directory.Delete(_mediaPath, recursive: true);
    }
}
