using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

/// <summary>
/// Two homeservers, hs1.test and hs2.test, each with its own database, federating over loopback HTTP
/// (`Federation:Peers`). Ports are fixed for the pair's life, so a server restarted keeps its address.
/// "impostor.test" is a name each maps to the other server: a peer whose keys answer for another name.
/// </summary>
public sealed class FederationPair : IAsyncDisposable
{
    public const string Hs1Name = "hs1.test";
    public const string Hs2Name = "hs2.test";
    public const string ImpostorName = "impostor.test";

    readonly Dictionary<string, (int Port, string Database, IDictionary<string, string?> Settings)> _servers = new();
    readonly Dictionary<string, WalkieHost> _hosts = new();
    readonly List<LatencyProxy> _proxies = [];

    public WalkieHost Hs1 => _hosts[Hs1Name];
    public WalkieHost Hs2 => _hosts[Hs2Name];
    public WalkieHost this[string serverName] => _hosts[serverName];

    FederationPair() { }

    /// <param name="settings">Extra configuration for both servers (e.g. shorter retry delays).</param>
    /// <param name="oneWayLatency">Server-to-server traffic goes through a <see cref="LatencyProxy"/> adding this each way.</param>
    public static async Task<FederationPair> StartAsync(IntegrationFixture fixture, IDictionary<string, string?>? settings = null,
        TimeSpan? oneWayLatency = null)
    {
        var pair = new FederationPair();
        var ports = new Dictionary<string, int> { [Hs1Name] = FreePort(), [Hs2Name] = FreePort() };
        // What each server dials to reach the other: the server itself, or a proxy in front of it.
        var peerPorts = ports.ToDictionary(p => p.Key, p => p.Value);
        if (oneWayLatency is { } latency)
            foreach (var (name, port) in ports)
            {
                var proxy = new LatencyProxy(port, latency);
                pair._proxies.Add(proxy);
                peerPorts[name] = proxy.Port;
            }
        foreach (var (name, port) in ports)
        {
            var other = name == Hs1Name ? Hs2Name : Hs1Name;
            var all = new Dictionary<string, string?>
            {
                ["Matrix:ServerName"] = name,
                [$"Federation:Peers:{other}"] = $"http://127.0.0.1:{peerPorts[other]}",
                [$"Federation:Peers:{ImpostorName}"] = $"http://127.0.0.1:{ports[other]}",
                ["Federation:RetryInitialDelay"] = "00:00:00.200",
                ["Federation:RetryMaxDelay"] = "00:00:02",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
            pair._servers[name] = (port, await fixture.CreateDatabaseAsync(), all);
        }
        try
        {
            foreach (var name in ports.Keys) await pair.StartServerAsync(name);
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
        return pair;
    }

    async Task StartServerAsync(string name)
    {
        var (port, database, settings) = _servers[name];
        _hosts[name] = await WalkieHost.StartAsync(database, settings, b => b.WebHost.UseUrls($"http://127.0.0.1:{port}"));
    }

    /// <summary>Stops one server (its database stays); <see cref="StartAsync(string)"/> brings it back on the same port.</summary>
    public async Task StopAsync(string name)
    {
        if (_hosts.Remove(name, out var host)) await host.DisposeAsync();
    }

    public Task StartAsync(string name) => StartServerAsync(name);

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts.Values) await host.DisposeAsync();
        _hosts.Clear();
        foreach (var proxy in _proxies) await proxy.DisposeAsync();
        _proxies.Clear();
    }
}
