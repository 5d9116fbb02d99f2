using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Bench;

/// <summary>
/// One stream ($P/stream) in this process: as listener it records each frame's latency (the talker writes its send
/// timestamp into the first 8 payload bytes; same process, same clock), as talker it sends paced frames.
/// </summary>
public sealed class LiveClient : IAsyncDisposable
{
    readonly ClientWebSocket _socket = new();
    readonly List<float> _latencies = [];
    TaskCompletionSource<JsonObject>? _awaiting;
    string _awaitedType = "";
    Task _receiving = Task.CompletedTask;

    public ushort Channel { get; private set; }
    public int Node { get; init; }
    public int Frames { get; private set; }
    /// <summary>Only frames after this seq count (warm-up).</summary>
    public uint CountFrom { get; set; }

    public static async Task<LiveClient> ConnectAsync(Uri server, MatrixClient device, string roomId, int node)
    {
        var client = new LiveClient { Node = node };
        client._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await client._socket.ConnectAsync(new UriBuilder(server) { Scheme = "ws", Path = ConsentSetup.P + "/stream", Query = $"access_token={device.AccessToken}" }.Uri,
            CancellationToken.None);
        client._receiving = client.ReceiveAsync();
        var subscribed = await client.RequestAsync(new ClientMessage.Subscribe([roomId]), ControlTypes.Subscribed);
        client.Channel = subscribed["channels"]![roomId]!.GetValue<ushort>();
        return client;
    }

    public async Task<JsonObject> RequestAsync(ClientMessage message, string replyType)
    {
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        (_awaitedType, _awaiting) = (replyType, reply);
        await _socket.SendAsync(ControlJson.Serialize(message), WebSocketMessageType.Text, true, CancellationToken.None);
        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    async Task ReceiveAsync()
    {
        using var reader = new WebSocketMessageReader(_socket, 64 * 1024);
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var message = await reader.ReadAsync(CancellationToken.None);
                var now = Stopwatch.GetTimestamp();
                if (message.IsClose) return;
                if (message.Type == WebSocketMessageType.Binary)
                {
                    if (!AudioFrame.TryParse(message.Span, out var header, out var payload) || header.Seq < CountFrom) continue;
                    var sent = BinaryPrimitives.ReadInt64LittleEndian(message.Span[payload]);
                    lock (_latencies) _latencies.Add((float)Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                    Frames++;
                    continue;
                }
                var control = JsonNode.Parse(message.Span)!.AsObject();
                if (_awaiting is { } waiting && control["type"]?.GetValue<string>() == _awaitedType)
                {
                    _awaiting = null;
                    waiting.TrySetResult(control);
                }
            }
        }
        catch (WebSocketException) { }
    }

    public float[] TakeLatencies()
    {
        lock (_latencies)
        {
            var taken = _latencies.ToArray();
            _latencies.Clear();
            Frames = 0;
            return taken;
        }
    }

    /// <summary>Asks for the floor on this stream; the epoch granted.</summary>
    public async Task<uint> RequestFloorAsync(string roomId) =>
        (uint)(await RequestAsync(new ClientMessage.FloorRequest(roomId), ControlTypes.FloorGranted))["epoch"]!.GetValue<long>();

    public Task ReleaseFloorAsync(string roomId, uint epoch) =>
        RequestAsync(new ClientMessage.FloorRelease(roomId, epoch), ControlTypes.FloorIdle);

    /// <summary><paramref name="count"/> frames of 55-byte payload at 50 frames/s on a 20 ms clock (no drift).</summary>
    public async Task TalkAsync(uint epoch, int count)
    {
        var frame = new byte[AudioFrame.HeaderSize + 55];
        var start = Stopwatch.GetTimestamp();
        for (var seq = 0; seq < count; seq++)
        {
            var due = TimeSpan.FromMilliseconds(20 * seq) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero) await Task.Delay(due);
            AudioFrame.WriteHeader(frame, new AudioFrameHeader(Channel, epoch, (uint)seq));
            BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(AudioFrame.HeaderSize), Stopwatch.GetTimestamp());
            await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        await _receiving.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _socket.Dispose();
    }
}
