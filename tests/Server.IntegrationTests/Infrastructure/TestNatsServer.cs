using System.Diagnostics;
using WalkieTalkie.LocalNats;

namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>A throwaway nats-server on a free loopback port (src/LocalNats), killed on dispose; restartable on its port.</summary>
public sealed class TestNatsServer : IAsyncDisposable
{
    readonly int _port;
    Process _process;

    public string Url => NatsServer.Url(_port);

    TestNatsServer(int port, Process process)
    {
        _port = port;
        _process = process;
    }

    public static async Task<TestNatsServer> StartAsync()
    {
        var port = NatsServer.FreePort();
        var server = new TestNatsServer(port, NatsServer.Start(port));
        await NatsServer.WaitAsync(port, TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>Kills the server (SIGKILL: every client loses its connection) and starts a new one on the same port.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        await StopAsync();
        await Task.Delay(down);
        _process = NatsServer.Start(_port);
        await NatsServer.WaitAsync(_port, TimeSpan.FromSeconds(30));
    }

    async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
