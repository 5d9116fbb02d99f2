using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Bench.Relay;

/// <summary>
/// The baseline: the least a WebSocket fan-out on Kestrel can do. No auth, no floor, no database, no validation:
/// every binary message from a `/talk?room=r` socket is copied once and queued to every subscribed `/listen?room=r`
/// socket, each with a bounded drop-oldest queue and its own send loop, as in the real relay. A listener subscribes
/// with any text message (answered `subscribed`), so late entry is comparable.
/// </summary>
sealed class BaselineServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly int _queueFrames;
    readonly Lock _gate = new();
    readonly Dictionary<string, Channel<(byte[] Bytes, bool Text)>[]> _rooms = [];
    long _dropped, _connections;

    public Uri BaseAddress { get; }
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Connections => Interlocked.Read(ref _connections);

    BaselineServer(int queueFrames)
    {
        _queueFrames = queueFrames;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        _app.Map("/talk", TalkAsync);
        _app.Map("/listen", ListenAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        BaseAddress = BenchServer.BaseAddressOf(_app);
    }

    public static BaselineServer Start(int queueFrames) => new(queueFrames);

    async Task TalkAsync(HttpContext http)
    {
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var room = http.Request.Query["room"].ToString();
        using var reader = new WebSocketMessageReader(socket, AudioFrame.MaxFrameSize, AudioFrame.MaxFrameSize + 1);
        try
        {
            while (true)
            {
                var message = await reader.ReadAsync(http.RequestAborted);
                if (message.IsClose) return;
                if (message.Type != WebSocketMessageType.Binary || message.TooLarge) continue;
                var frame = message.Data.ToArray(); // one copy, shared by every listener
                Channel<(byte[] Bytes, bool Text)>[]? listeners;
                lock (_gate) _rooms.TryGetValue(room, out listeners);
                foreach (var listener in listeners ?? []) listener.Writer.TryWrite((frame, false));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }

    async Task ListenAsync(HttpContext http)
    {
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var room = http.Request.Query["room"].ToString();
        Interlocked.Increment(ref _connections);
        var queue = Channel.CreateBounded<(byte[] Bytes, bool Text)>(
            new BoundedChannelOptions(_queueFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        var sending = SendLoopAsync(socket, queue.Reader, http.RequestAborted);
        var subscribed = false;
        using var reader = new WebSocketMessageReader(socket, 4096);
        try
        {
            while (true)
            {
                var message = await reader.ReadAsync(http.RequestAborted);
                if (message.IsClose) return;
                if (message.Type != WebSocketMessageType.Text || subscribed) continue;
                subscribed = true;
                queue.Writer.TryWrite((ControlJson.Serialize(new ServerMessage.Subscribed(new Dictionary<string, ushort>())), true));
                lock (_gate) _rooms[room] = [.. _rooms.GetValueOrDefault(room, []), queue];
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        finally
        {
            lock (_gate)
                if (_rooms.TryGetValue(room, out var listeners)) _rooms[room] = listeners.Where(q => q != queue).ToArray();
            queue.Writer.TryComplete();
            await sending;
            Interlocked.Decrement(ref _connections);
        }
    }

    static async Task SendLoopAsync(WebSocket socket, ChannelReader<(byte[] Bytes, bool Text)> queue, CancellationToken ct)
    {
        try
        {
            // No token: the channel's pooled waiter, nothing allocated per wait (ListenAsync completes the queue on the way out).
            while (await queue.WaitToReadAsync(CancellationToken.None))
                while (queue.TryRead(out var message))
                    await socket.SendAsync(message.Bytes, message.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, ct);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
