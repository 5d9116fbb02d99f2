using System.Net.Sockets;
using System.Threading.Channels;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

/// <summary>
/// A TCP proxy on loopback that holds every chunk of data <see cref="Delay"/> before passing it on, in each direction
/// (500 ms each way = 1 s round trip), in order. For tests where network namespaces with <c>tc netem</c> are not
/// available (no netem qdisc in this kernel, and the servers run inside the test process anyway).
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    readonly int _targetPort;
    readonly Task _accepting;

    public TimeSpan Delay { get; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public LatencyProxy(int targetPort, TimeSpan delay)
    {
        (_targetPort, Delay) = (targetPort, delay);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
    }

    async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (Exception) { return; } // target down: the caller sees the connection close, like a dead host
            client.NoDelay = server.NoDelay = true;
            using var pair = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = PumpAsync(client.GetStream(), server.GetStream(), pair.Token);
            var down = PumpAsync(server.GetStream(), client.GetStream(), pair.Token);
            await Task.WhenAny(up, down);
            await pair.CancelAsync();
            await Task.WhenAll(up.ContinueWith(_ => { }), down.ContinueWith(_ => { }));
        }
    }

    /// <summary>Reader timestamps each chunk; writer sends it when its time has come, so delay adds to latency, not to throughput.</summary>
    async Task PumpAsync(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        var queue = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writing = Task.Run(async () =>
        {
            await foreach (var (due, data) in queue.Reader.ReadAllAsync(ct))
            {
                var wait = due - Environment.TickCount64;
                if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
                await to.WriteAsync(data, ct);
            }
            to.Socket.Shutdown(SocketShutdown.Send);
        }, ct);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, ct);
                if (read == 0) break;
                queue.Writer.TryWrite((Environment.TickCount64 + (long)Delay.TotalMilliseconds, buffer[..read]));
            }
        }
        finally { queue.Writer.TryComplete(); }
        await writing;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
