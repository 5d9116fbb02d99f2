using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using WalkieTalkie.Client.Live;

namespace WalkieTalkie.Client.Tests.Infrastructure;

/// <summary>
/// A scripted stream server over real loopback TCP: the test plays the server's side of the WebSocket, message by
/// message. The client connects through <see cref="Connector"/>, which also records the URI and headers it was given.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _clients = [];

    public LoopbackServer() => _listener.Start();

    public List<(Uri Uri, IReadOnlyDictionary<string, string> Headers)> Connects { get; } = [];

    public WebSocketConnector Connector => async (uri, headers, ct) =>
    {
        lock (Connects) Connects.Add((uri, headers));
        var client = new TcpClient();
        lock (_clients) _clients.Add(client);
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, ct);
        return WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false });
    };

    public async Task<ServerPeer> AcceptAsync()
    {
        var client = await _listener.AcceptTcpClientAsync().WaitAsync(Patience);
        lock (_clients) _clients.Add(client);
        return new ServerPeer(WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = true }));
    }

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        lock (_clients)
            foreach (var c in _clients) c.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>What the server side received: a control message, an audio frame, or the client's close.</summary>
public abstract record Received
{
    public sealed record Control(ClientMessage Message) : Received;
    public sealed record Frame(AudioFrameHeader Header, byte[] Payload) : Received;
    public sealed record Close(WebSocketCloseStatus? Status) : Received;
}

public sealed class ServerPeer(WebSocket socket)
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly WebSocketMessageReader _reader = new(socket, 64 * 1024);

    public WebSocket Socket { get; } = socket;

    public async Task<Received> ReceiveAsync()
    {
        var message = await _reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(LoopbackServer.Patience);
        if (message.IsClose)
            return new Received.Close(Socket.CloseStatus);
        Assert.False(message.TooLarge, "The client sent a message over 64 KiB");
        if (message.Type == WebSocketMessageType.Text)
            return new Received.Control(ControlJson.ParseClient(message.Span));
        Assert.True(AudioFrame.TryParse(message.Span, out var header, out var payload, out var reject), $"Malformed frame from the client: {reject}");
        return new Received.Frame(header, message.Span[payload].ToArray());
    }

    public async Task<T> ReceiveControlAsync<T>() where T : ClientMessage
    {
        var received = await ReceiveAsync();
        var control = Assert.IsType<Received.Control>(received);
        return Assert.IsType<T>(control.Message);
    }

    public async Task<Received.Frame> ReceiveFrameAsync() => Assert.IsType<Received.Frame>(await ReceiveAsync());

    public async Task SendAsync(ServerMessage message)
    {
        await _sendLock.WaitAsync();
        try { await Socket.SendAsync(ControlJson.Serialize(message), WebSocketMessageType.Text, true, CancellationToken.None); }
        finally { _sendLock.Release(); }
    }

    /// <summary>Sends raw JSON (for messages the client must survive).</summary>
    public async Task SendTextAsync(string json)
    {
        await _sendLock.WaitAsync();
        try { await Socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None); }
        finally { _sendLock.Release(); }
    }

    public async Task SendFrameAsync(ushort channel, uint epoch, uint seq, ReadOnlyMemory<byte> payload)
    {
        var frame = new byte[AudioFrame.HeaderSize + payload.Length];
        AudioFrame.Write(frame, new AudioFrameHeader(channel, epoch, seq), payload.Span);
        await _sendLock.WaitAsync();
        try { await Socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None); }
        finally { _sendLock.Release(); }
    }

    /// <summary>Answers a subscribe with the given channels.</summary>
    public async Task<ClientMessage.Subscribe> AcceptSubscribeAsync(IReadOnlyDictionary<string, ushort> channels)
    {
        var subscribe = await ReceiveControlAsync<ClientMessage.Subscribe>();
        await SendAsync(new ServerMessage.Subscribed(channels));
        return subscribe;
    }
}

public static class ChannelReaderExtensions
{
    /// <summary>Reads the next item, failing the test instead of hanging.</summary>
    public static async Task<T> NextAsync<T>(this System.Threading.Channels.ChannelReader<T> reader) =>
        await reader.ReadAsync().AsTask().WaitAsync(LoopbackServer.Patience);

    /// <summary>Skips items until one of type <typeparamref name="TWanted"/>.</summary>
    public static async Task<TWanted> NextOfTypeAsync<T, TWanted>(this System.Threading.Channels.ChannelReader<T> reader) where TWanted : T
    {
        while (true)
            if (await reader.NextAsync() is TWanted wanted)
                return wanted;
    }
}
