using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using WalkieTalkie.Server;

namespace WalkieTalkie.Bench;

/// <summary>A real WalkieServer in this process, on Kestrel at a free loopback port, against <see cref="BenchPostgres"/>.</summary>
public static class BenchServer
{
    /// <param name="settings">Extra configuration as command-line switches, e.g. <c>--Walkie:Stream:ListenerQueueFrames=64</c>.</param>
    public static async Task<(WebApplication App, Uri BaseAddress)> StartAsync(string connectionString, params string[] settings)
    {
        var app = WalkieServer.Create([
            "--environment=Development", $"--ConnectionStrings:walkie={connectionString}",
            "--Logging:LogLevel:Default=Warning", "--Passwords:Iterations=1000", "--urls=http://127.0.0.1:0",
            .. settings,
        ]);
        await app.StartAsync();
        return (app, BaseAddressOf(app));
    }

    public static Uri BaseAddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
