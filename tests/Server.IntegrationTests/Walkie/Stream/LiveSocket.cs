using System.Net.WebSockets;
using System.Text;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Stream;

/// <summary>A raw WebSocket to $P/stream, as any client would open it: JSON control messages and binary frames.</summary>
public sealed class LiveSocket : IAsyncDisposable
{
    readonly ClientWebSocket _socket = new();
    readonly System.Threading.Channels.Channel<JsonObject> _messages = System.Threading.Channels.Channel.CreateUnbounded<JsonObject>();
    readonly System.Threading.Channels.Channel<(byte[] Frame, long At)> _frames = System.Threading.Channels.Channel.CreateUnbounded<(byte[], long)>();
    Task? _reading;

    public MatrixTestClient Client { get; }
    public Dictionary<string, ushort> Channels { get; } = [];
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    LiveSocket(MatrixTestClient client) => Client = client;

    /// <param name="read">False: never read (a stalled listener whose TCP window fills up).</param>
    public static async Task<LiveSocket> OpenAsync(WalkieHost host, MatrixTestClient client, bool read = true)
    {
        var live = new LiveSocket(client);
        var uri = new UriBuilder(host.BaseAddress) { Scheme = "ws", Path = WalkieRoom.P + "/stream", Query = $"access_token={client.AccessToken}" }.Uri;
        if (!read) live._socket.Options.SetBuffer(1024, 1024);
        await live._socket.ConnectAsync(uri, CancellationToken.None);
        if (read) live._reading = live.ReadAsync();
        return live;
    }

    async Task ReadAsync()
    {
        using var reader = new WebSocketMessageReader(_socket, 64 * 1024);
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var message = await reader.ReadAsync(CancellationToken.None);
                if (message.IsClose) break;
                if (message.Type == WebSocketMessageType.Binary) _frames.Writer.TryWrite((message.Data.ToArray(), System.Diagnostics.Stopwatch.GetTimestamp()));
                else _messages.Writer.TryWrite(JsonNode.Parse(message.Span)!.AsObject());
            }
        }
        catch (WebSocketException) { }
        finally
        {
            _messages.Writer.TryComplete();
            _frames.Writer.TryComplete();
        }
    }

    public Task SendAsync(ClientMessage message) => _socket.SendAsync(ControlJson.Serialize(message), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Any JSON, for messages the protocol's types cannot express (malformed or padded ones).</summary>
    public Task SendAsync(object message) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message)), WebSocketMessageType.Text, true, CancellationToken.None);

    public async Task<Dictionary<string, ushort>> SubscribeAsync(params string[] rooms)
    {
        await SendAsync(new ClientMessage.Subscribe(rooms));
        var subscribed = await NextAsync(ControlTypes.Subscribed);
        foreach (var (room, channel) in subscribed["channels"]!.AsObject()) Channels[room] = channel!.GetValue<ushort>();
        return Channels;
    }

    /// <summary>Every control message received so far and not yet read.</summary>
    public List<JsonObject> Drain()
    {
        var all = new List<JsonObject>();
        while (_messages.Reader.TryRead(out var message)) all.Add(message);
        return all;
    }

    /// <summary>The next control message of that type (others before it are skipped and returned in <paramref name="skipped"/>).</summary>
    public async Task<JsonObject> NextAsync(string type, TimeSpan? timeout = null, List<JsonObject>? skipped = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            JsonObject message;
            try { message = await _messages.Reader.ReadAsync(cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"no `{type}` message; skipped: {string.Join(", ", skipped?.Select(s => s.ToJsonString()) ?? [])}"); }
            if (message["type"]!.GetValue<string>() == type) return message;
            skipped?.Add(message);
        }
    }

    public async Task SendFrameAsync(string roomId, long epoch, uint seq, ReadOnlyMemory<byte> payload)
    {
        var frame = new byte[AudioFrame.HeaderSize + payload.Length];
        AudioFrame.Write(frame, new AudioFrameHeader(Channels[roomId], (uint)epoch, seq), payload.Span);
        await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
    }

    public async Task SendRawAsync(byte[] bytes) => await _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    public Task SendRawTextAsync(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Frames received within <paramref name="window"/> of the last one (or none).</summary>
    public async Task<List<(AudioFrameHeader Header, byte[] Payload, long At)>> FramesAsync(int atLeast, TimeSpan timeout)
    {
        var frames = new List<(AudioFrameHeader, byte[], long)>();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (frames.Count < atLeast)
            {
                var (frame, at) = await _frames.Reader.ReadAsync(cts.Token);
                Assert.True(AudioFrame.TryParse(frame, out var header, out var payload), "a relayed frame must parse");
                frames.Add((header, frame[payload], at));
            }
        }
        catch (OperationCanceledException) { }
        return frames;
    }

    public int PendingFrames => _frames.Reader.Count;

    public async Task<bool> ClosedAsync(TimeSpan timeout)
    {
        if (_reading is null) return false;
        return await Task.WhenAny(_reading, Task.Delay(timeout)) == _reading;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        _socket.Dispose();
    }
}
