using System.Buffers;
using System.Threading.Channels;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Live;

/// <summary>
/// The device's live-audio WebSocket (<c>GET $P/stream</c>). It is opened on demand by the first control message and
/// should be closed with <see cref="CloseAsync"/> when the user leaves walkie mode (battery). One send loop serialises
/// every write; one receive loop turns text frames into <see cref="Messages"/> and binary frames into
/// <see cref="Frames"/>. Both readers outlive connections: a dropped connection shows up as
/// <see cref="ServerMessage.Disconnected"/>, and the next control message reconnects and re-subscribes.
/// </summary>
public sealed partial class WalkieStream : IAudioFrameSink, IAsyncDisposable
{
    public const string Path = WalkieApi.Prefix + "/stream";
    private const int MaxTextMessage = 1 << 20;

    private readonly string _accessToken;
    private readonly WalkieStreamOptions _options;
    private readonly SemaphoreSlim _openGate = new(1, 1);
    private readonly object _gate = new();
    private readonly Channel<ServerMessage> _messages = Channel.CreateUnbounded<ServerMessage>();
    private readonly Channel<ReceivedFrame> _frames;
    private readonly List<string> _rooms = [];
    private readonly List<TaskCompletionSource<IReadOnlyDictionary<string, ushort>>> _pendingSubscribes = [];
    private Dictionary<string, ushort> _channels = new(StringComparer.Ordinal);
    private Dictionary<ushort, string> _roomsByChannel = [];
    private IStreamObserver[] _observers = [];
    private LiveConnection? _connection;
    private long _framesDropped;
    private bool _disposed;

    public WalkieStream(Uri homeserver, string accessToken, WalkieStreamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(homeserver);
        _accessToken = accessToken ?? throw new ArgumentNullException(nameof(accessToken));
        _options = options ?? new WalkieStreamOptions();
        StreamUri = BuildUri(homeserver, null);
        _frames = Channel.CreateBounded<ReceivedFrame>(
            new BoundedChannelOptions(_options.ReceivedFrameCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            _ => Interlocked.Increment(ref _framesDropped));
    }

    public WalkieStream(MatrixCredentials credentials, WalkieStreamOptions? options = null)
        : this(credentials.Homeserver, credentials.AccessToken, options) { }

    /// <summary><c>ws(s)://host/_matrix/client/unstable/org.matrix.msc4002/stream</c>, without the token.</summary>
    public Uri StreamUri { get; }

    public bool IsOpen => _connection is { IsAlive: true };

    /// <summary>This connection's channel per subscribed room, from the last <c>subscribed</c>; empty while closed.</summary>
    public IReadOnlyDictionary<string, ushort> Channels => _channels;

    /// <summary>Every control message the server sent, in order, plus <see cref="ServerMessage.Disconnected"/>. One reader at a time.</summary>
    public ChannelReader<ServerMessage> Messages => _messages.Reader;

    /// <summary>Relayed audio frames, bounded: a reader that falls behind loses the oldest (counted in <see cref="FramesDropped"/>).</summary>
    public ChannelReader<ReceivedFrame> Frames => _frames.Reader;

    /// <summary>Frames thrown away: malformed, on a channel of no subscribed room, or pushed out of a full <see cref="Frames"/>.</summary>
    public long FramesDropped => Interlocked.Read(ref _framesDropped);

    /// <summary>Adds an observer that sees messages and frames in wire order (a <see cref="Listen.Listener"/>, a recorder).</summary>
    public void AddObserver(IStreamObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate) _observers = [.. _observers, observer];
    }

    /// <summary>Opens the connection unless it is open (re-subscribing to the rooms of an earlier connection).</summary>
    public async Task OpenAsync(CancellationToken cancellationToken = default) => await EnsureOpenAsync(resubscribe: true, cancellationToken);

    /// <summary>
    /// Adds rooms to this device's subscription and waits for <c>subscribed</c>; returns the whole channel map. A room
    /// missing from it was refused by the server (not joined, walkie-talkie off).
    /// </summary>
    /// <exception cref="TimeoutException">No <c>subscribed</c> within <see cref="WalkieStreamOptions.ReplyTimeout"/>.</exception>
    /// <exception cref="WalkieStreamException">The server answered <c>error</c> or the connection ended first.</exception>
    public async Task<IReadOnlyDictionary<string, ushort>> SubscribeAsync(IEnumerable<string> rooms, CancellationToken cancellationToken = default)
    {
        List<string> all;
        lock (_gate)
        {
            foreach (string room in rooms)
                if (!_rooms.Contains(room))
                    _rooms.Add(room);
            all = [.. _rooms];
        }
        var connection = await EnsureOpenAsync(resubscribe: false, cancellationToken);
        return await SubscribeOnAsync(connection, all, cancellationToken);
    }

    /// <summary>Sends <c>floor.request</c>; the answer arrives in <see cref="Messages"/> (granted, queued or denied).</summary>
    public Task RequestFloorAsync(string roomId, FloorPriority priority = FloorPriority.Normal, CancellationToken cancellationToken = default) =>
        SendAsync(new ClientMessage.FloorRequest(roomId, priority), cancellationToken);

    /// <summary>Sends <c>floor.release</c>; a stale epoch changes nothing, and a queued device leaves the queue.</summary>
    public Task ReleaseFloorAsync(string roomId, long epoch, CancellationToken cancellationToken = default) =>
        SendAsync(new ClientMessage.FloorRelease(roomId, epoch), cancellationToken);

    /// <summary>Sends <c>ping</c>; <c>pong</c> arrives in <see cref="Messages"/>.</summary>
    public Task PingAsync(CancellationToken cancellationToken = default) => SendAsync(new ClientMessage.Ping(), cancellationToken);

    /// <summary>Sends a control message, opening the connection if needed; completes when it is written to the socket.</summary>
    public async Task SendAsync(ClientMessage message, CancellationToken cancellationToken = default)
    {
        if (message is ClientMessage.Subscribe s)
        {
            await SubscribeAsync(s.Rooms, cancellationToken);
            return;
        }
        var connection = await EnsureOpenAsync(resubscribe: true, cancellationToken);
        byte[] json = ControlJson.Serialize(message);
        await EnqueueAsync(connection, json, json.Length, WebSocketMessageType.Text, pooled: false, cancellationToken);
    }

    /// <summary>
    /// Sends one audio frame of <paramref name="roomId"/> with this connection's channel for it. Audio never reopens a
    /// closed connection: the server released the floor when it closed, so the burst is over.
    /// </summary>
    public async ValueTask SendAudioAsync(string roomId, uint epoch, uint seq, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length > AudioFrame.MaxPayloadSize)
            throw new ArgumentException($"An audio payload has at most {AudioFrame.MaxPayloadSize} bytes; this one has {payload.Length}.", nameof(payload));
        var connection = _connection is { IsAlive: true } c ? c : throw new WalkieStreamException("The stream is not open: the burst ended with the connection.");
        if (!_channels.TryGetValue(roomId, out ushort channel))
            throw new InvalidOperationException($"No channel for {roomId}: subscribe to the room before sending audio.");
        byte[] buffer = ArrayPool<byte>.Shared.Rent(AudioFrame.HeaderSize + payload.Length);
        int length = AudioFrame.Write(buffer, new AudioFrameHeader(channel, epoch, seq), payload.Span);
        await EnqueueAsync(connection, buffer, length, WebSocketMessageType.Binary, pooled: true, cancellationToken);
    }

    /// <summary>Sends what is queued, closes with 1000 and waits (briefly) for the server's close frame. The subscription is remembered for the next open.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        await _openGate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not { } connection)
                return;
            connection.Outbox.Writer.TryComplete();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.CloseTimeout);
            try
            {
                await connection.SendLoop.WaitAsync(timeout.Token);
                if (connection.Socket.State == WebSocketState.Open)
                    await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "walkie mode off", timeout.Token);
                await connection.ReceiveLoop.WaitAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // The server did not finish the close handshake in time: drop the connection.
            }
            connection.Abort.Cancel();
            try { connection.Socket.Abort(); } catch (ObjectDisposedException) { }
            await connection.ReceiveLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await connection.SendLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            _openGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await CloseAsync();
        }
        finally
        {
            _messages.Writer.TryComplete();
            _frames.Writer.TryComplete();
            _openGate.Dispose();
        }
    }
}
