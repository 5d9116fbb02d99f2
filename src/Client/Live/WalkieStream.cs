using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using WalkieTalkie.Audio;
using WalkieTalkie.Client.Matrix;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Live;

/// <summary>
/// The device's live-audio WebSocket (<c>GET $P/stream</c>). It is opened on demand by the first control message and
/// should be closed with <see cref="CloseAsync"/> when the user leaves walkie mode (battery). One send loop serialises
/// every write; one receive loop turns text frames into <see cref="Messages"/> and binary frames into
/// <see cref="Frames"/>. Both readers outlive connections: a dropped connection shows up as
/// <see cref="ServerMessage.Disconnected"/>, and the next control message reconnects and re-subscribes.
/// </summary>
public sealed class WalkieStream : IAudioFrameSink, IAsyncDisposable
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
    private Connection? _connection;
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

    /// <summary>The WebSocket URI; <paramref name="accessToken"/> goes into the query when given.</summary>
    public static Uri BuildUri(Uri homeserver, string? accessToken)
    {
        var builder = new UriBuilder(homeserver)
        {
            Scheme = homeserver.Scheme switch
            {
                "http" or "ws" => "ws",
                "https" or "wss" => "wss",
                var s => throw new ArgumentException($"The homeserver URL must be http(s), not {s}.", nameof(homeserver)),
            },
            Path = homeserver.AbsolutePath.TrimEnd('/') + Path,
            Query = accessToken is null ? "" : "access_token=" + Uri.EscapeDataString(accessToken),
        };
        return builder.Uri;
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

    private async Task<Connection> EnsureOpenAsync(bool resubscribe, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { IsAlive: true } open)
            return open;
        await _openGate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsAlive: true } raced)
                return raced;
            var socket = await ConnectAsync(cancellationToken);
            var connection = new Connection(socket);
            _connection = connection;
            connection.ReceiveLoop = Task.Run(() => ReceiveLoopAsync(connection), CancellationToken.None);
            connection.SendLoop = Task.Run(() => SendLoopAsync(connection), CancellationToken.None);
            List<string> rooms;
            lock (_gate) rooms = [.. _rooms];
            if (resubscribe && rooms.Count > 0)
                await SubscribeOnAsync(connection, rooms, cancellationToken);
            return connection;
        }
        finally
        {
            _openGate.Release();
        }
    }

    private async Task<WebSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        var uri = _options.AccessTokenInQuery
            ? new UriBuilder(StreamUri) { Query = "access_token=" + Uri.EscapeDataString(_accessToken) }.Uri
            : StreamUri;
        var headers = _options.AccessTokenInQuery
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["Authorization"] = "Bearer " + _accessToken };
        if (_options.Connector is { } connector)
            return await connector(uri, headers, cancellationToken);

        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var (name, value) in headers)
            socket.Options.SetRequestHeader(name, value);
        try
        {
            await socket.ConnectAsync(uri, _options.Invoker, cancellationToken);
            return socket;
        }
        catch (WebSocketException e)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw status switch
            {
                HttpStatusCode.Unauthorized => new MatrixApiException(MatrixErrorCodes.UnknownToken, "The server rejected the access token for the stream.", status),
                HttpStatusCode.Forbidden => new MatrixApiException(MatrixErrorCodes.Forbidden, "The server refused the stream.", status),
                HttpStatusCode.NotFound => new WalkieStreamException($"{StreamUri} does not exist: the server does not serve MSC4002 live audio.", e),
                0 => new WalkieStreamException($"Could not connect to {StreamUri}: {e.Message}", e),
                _ => new WalkieStreamException($"{StreamUri} answered HTTP {(int)status} instead of a WebSocket upgrade.", e),
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<IReadOnlyDictionary<string, ushort>> SubscribeOnAsync(Connection connection, List<string> rooms, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<IReadOnlyDictionary<string, ushort>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _pendingSubscribes.Add(reply);
        try
        {
            byte[] json = ControlJson.Serialize(new ClientMessage.Subscribe(rooms));
            await EnqueueAsync(connection, json, json.Length, WebSocketMessageType.Text, pooled: false, cancellationToken);
            return await reply.Task.WaitAsync(_options.ReplyTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The server did not answer subscribe with subscribed within {_options.ReplyTimeout.TotalSeconds:0.#} s.");
        }
        finally
        {
            lock (_gate) _pendingSubscribes.Remove(reply);
        }
    }

    private static async Task EnqueueAsync(Connection connection, byte[] buffer, int length, WebSocketMessageType type, bool pooled, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!connection.Outbox.Writer.TryWrite(new Outgoing(buffer, length, type, done, pooled)))
        {
            if (pooled) ArrayPool<byte>.Shared.Return(buffer);
            throw new WalkieStreamException("The stream is closing or closed.");
        }
        await done.Task.WaitAsync(cancellationToken);
    }

    private static async Task SendLoopAsync(Connection connection)
    {
        Exception? failure = null;
        try
        {
            await foreach (var item in connection.Outbox.Reader.ReadAllAsync(connection.Abort.Token))
            {
                try
                {
                    await connection.Socket.SendAsync(item.Buffer.AsMemory(0, item.Length), item.Type, endOfMessage: true, connection.Abort.Token);
                    item.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    item.Done.TrySetException(new WalkieStreamException($"Sending on the stream failed: {e.Message}", e));
                    throw;
                }
                finally
                {
                    if (item.Pooled) ArrayPool<byte>.Shared.Return(item.Buffer);
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
            connection.Abort.Cancel(); // the receive loop ends too and reports the disconnect
        }
        finally
        {
            connection.Outbox.Writer.TryComplete();
            while (connection.Outbox.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new WalkieStreamException("The stream closed before this was sent.", failure));
                if (left.Pooled) ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
    }

    private async Task ReceiveLoopAsync(Connection connection)
    {
        var socket = connection.Socket;
        byte[] buffer = new byte[8192];
        Exception? failure = null;
        try
        {
            while (true)
            {
                int length = 0;
                bool tooLarge = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxTextMessage)
                        {
                            tooLarge = true;
                            length = 0; // keep reading to the end of the message, then drop it
                        }
                        else
                        {
                            Array.Resize(ref buffer, buffer.Length * 2);
                        }
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), connection.Abort.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        if (socket.State == WebSocketState.CloseReceived)
                            await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, connection.Abort.Token);
                        return;
                    }
                    length += result.Count;
                } while (!result.EndOfMessage);

                if (tooLarge)
                {
                    Interlocked.Increment(ref _framesDropped);
                    continue;
                }
                if (result.MessageType == WebSocketMessageType.Text)
                    Dispatch(ControlJson.ParseServer(buffer.AsSpan(0, length)));
                else
                    OnAudioFrame(buffer.AsSpan(0, length));
            }
        }
        catch (OperationCanceledException) when (connection.Abort.IsCancellationRequested)
        {
            // Our own close or a failed send: not an error of the receive side.
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            Ended(connection, failure);
        }
    }

    private void OnAudioFrame(ReadOnlySpan<byte> frame)
    {
        if (!AudioFrame.TryParse(frame, out var header, out var payload) || !_roomsByChannel.TryGetValue(header.Channel, out string? room))
        {
            Interlocked.Increment(ref _framesDropped);
            return;
        }
        var received = new ReceivedFrame(room, header.Channel, header.Epoch, header.Seq, frame[payload].ToArray(), _options.Time.GetUtcNow());
        foreach (var observer in _observers)
            observer.OnFrame(received);
        if (_options.QueueReceivedFrames)
            _frames.Writer.TryWrite(received);
    }

    private void Dispatch(ServerMessage message)
    {
        lock (_gate)
        {
            switch (message)
            {
                case ServerMessage.Subscribed subscribed:
                    // The client always subscribes with its whole set, so the answer is the whole map.
                    _channels = new Dictionary<string, ushort>(subscribed.Channels, StringComparer.Ordinal);
                    _roomsByChannel = subscribed.Channels.ToDictionary(c => c.Value, c => c.Key);
                    if (_pendingSubscribes.Count > 0)
                        _pendingSubscribes[0].TrySetResult(_channels);
                    break;
                case ServerMessage.StreamError error when _pendingSubscribes.Count > 0 && error.RoomId is null:
                    _pendingSubscribes[0].TrySetException(new WalkieStreamException($"The server answered subscribe with {error.Errcode}: {error.Error}"));
                    break;
            }
        }
        Publish(message);
    }

    private void Publish(ServerMessage message)
    {
        foreach (var observer in _observers)
            observer.OnMessage(message);
        _messages.Writer.TryWrite(message);
    }

    private void Ended(Connection connection, Exception? failure)
    {
        if (Interlocked.Exchange(ref connection.Ended, 1) == 1)
            return;
        connection.Outbox.Writer.TryComplete();
        connection.Abort.Cancel();
        var status = connection.Socket.CloseStatus;
        var description = connection.Socket.CloseStatusDescription;
        lock (_gate)
        {
            if (ReferenceEquals(_connection, connection))
            {
                _connection = null;
                _channels = new Dictionary<string, ushort>(StringComparer.Ordinal);
                _roomsByChannel = [];
            }
            foreach (var pending in _pendingSubscribes)
                pending.TrySetException(new WalkieStreamException($"The stream closed ({status?.ToString() ?? failure?.Message ?? "no close frame"}) before subscribed arrived.", failure));
        }
        connection.Socket.Dispose();
        Publish(new ServerMessage.Disconnected(status, description, failure));
    }

    private sealed class Connection(WebSocket socket)
    {
        public WebSocket Socket { get; } = socket;
        public Channel<Outgoing> Outbox { get; } = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
        public CancellationTokenSource Abort { get; } = new();
        public Task SendLoop { get; set; } = Task.CompletedTask;
        public Task ReceiveLoop { get; set; } = Task.CompletedTask;
        public int Ended;
        public bool IsAlive => Ended == 0 && Socket.State == WebSocketState.Open;
    }

    private readonly record struct Outgoing(byte[] Buffer, int Length, WebSocketMessageType Type, TaskCompletionSource Done, bool Pooled);
}
