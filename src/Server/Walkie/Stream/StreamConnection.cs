using System.Net.WebSockets;
using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Stream.Relay;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// One device's WebSocket: a receive loop (control messages and the talker's frames) and its outgoing side, a
/// <see cref="ConnectionWriter"/> that keeps control messages and audio in one order and writes a frame for an idle
/// connection straight from the relaying thread.
/// </summary>
public sealed class StreamConnection
{
    readonly RelayTransport _transport;
    readonly WebSocket _socket;
    readonly StreamOptions _options;
    readonly ConnectionWriter _writer;
    readonly Queue<long> _invalidAt = new();
    readonly TimeProvider _clock;
    long _windowStart;
    int _framesThisSecond;
    long _invalid, _quiet;
    (WebSocketCloseStatus Status, string Reason)? _close;

    public DeviceRef Device { get; }
    public Guid Id { get; } = Guid.NewGuid();
    /// <summary>Rooms this connection is subscribed to, with each room's consent (unix ms it ends; long.MaxValue: permanent; 0: none).</summary>
    public ConcurrentDictionary<string, Subscription> Rooms { get; } = new();
    public long AudioDropped => _writer.AudioDropped;
    public long InvalidFrames => Interlocked.Read(ref _invalid);
    /// <summary>Frames of this device's own just-ended grant, still in flight when it ended: dropped, not held against it.</summary>
    public long LateFramesDropped => Interlocked.Read(ref _quiet);
    public long FramesSent => _writer.FramesSent;
    /// <summary>Frames go straight to the connection's socket rather than through Kestrel's output pipe (see <see cref="RelayTransport"/>).</summary>
    public bool WritesToSocket => _transport.WritesToSocket;

    public sealed class Subscription(ushort channel)
    {
        public ushort Channel { get; } = channel;
        public long ConsentUntilMs;
        public bool HearsAt(long nowMs) => Volatile.Read(ref ConsentUntilMs) > nowMs;
    }

    public StreamConnection(DeviceRef device, RelayTransport transport, StreamOptions options, TimeProvider clock)
    {
        Device = device;
        _transport = transport;
        _socket = transport.Socket;
        _options = options;
        _clock = clock;
        _writer = new ConnectionWriter(transport, options.ListenerQueueFrames);
    }

    public void Send(ServerMessage message) => Send(ControlJson.Serialize(message));

    /// <summary>Queues a serialized control message.</summary>
    public void Send(byte[] utf8) => Send(RelayFrame.Text(utf8));

    /// <summary>Queues a framed control message (shared: a room-wide message is serialized and framed once).</summary>
    public void Send(RelayFrame text) => _writer.Write(text);

    /// <summary>Queues (or writes at once) a shared audio frame; the connection takes its own reference.</summary>
    public void SendAudio(RelayFrame frame)
    {
        frame.AddRef();
        _writer.Write(frame);
    }

    /// <summary>Several shared audio frames in order, as one write when nothing is ahead of them; the connection takes its own references.</summary>
    public void SendAudio(ReadOnlySpan<RelayFrame> frames) => _writer.Write(frames);

    public void DropLateFrame() => Interlocked.Increment(ref _quiet);

    /// <summary>Counts an invalid frame; true when the connection crossed the limit and must be closed.</summary>
    public bool CountInvalid()
    {
        Interlocked.Increment(ref _invalid);
        var now = _clock.GetTimestamp();
        lock (_invalidAt)
        {
            _invalidAt.Enqueue(now);
            while (_invalidAt.Count > 0 && _clock.GetElapsedTime(_invalidAt.Peek(), now) > _options.InvalidFrameWindow) _invalidAt.Dequeue();
            return _invalidAt.Count > _options.MaxInvalidFrames;
        }
    }

    /// <summary>Per-connection frame rate limit (fixed one-second windows).</summary>
    public bool WithinFrameRate()
    {
        var second = _clock.GetTimestamp() / _clock.TimestampFrequency;
        if (second != _windowStart)
        {
            _windowStart = second;
            _framesThisSecond = 0;
        }
        return ++_framesThisSecond <= _options.MaxFramesPerSecond;
    }

    public async Task RunAsync(Func<StreamConnection, ClientMessage, Task> onControl, Func<StreamConnection, ReadOnlyMemory<byte>, bool> onFrame,
        CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = _writer.RunAsync(SendCloseAsync);
        try { await ReceiveLoopAsync(onControl, onFrame, cts.Token); }
        finally
        {
            _writer.Complete();
            // The send loop drains what is queued (an `error` first), then sends the close frame.
            await sending.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { });
            cts.Cancel();
        }
    }

    async Task ReceiveLoopAsync(Func<StreamConnection, ClientMessage, Task> onControl, Func<StreamConnection, ReadOnlyMemory<byte>, bool> onFrame,
        CancellationToken ct)
    {
        // Held while idle: sized for one audio frame, grown for a long control message only (and given back after it).
        using var reader = new WebSocketMessageReader(_socket, Math.Max(_options.MaxControlMessageBytes, AudioFrame.MaxFrameSize), AudioFrame.MaxFrameSize + 1);
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var message = await reader.ReadAsync(ct);
                if (message.IsClose)
                {
                    await CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                    return;
                }
                if (message.Type == WebSocketMessageType.Binary)
                {
                    // An oversized frame is invalid; it is counted like any other invalid frame.
                    if ((message.TooLarge || !onFrame(this, message.Data)) && RejectFrame()) return;
                    continue;
                }
                if (message.TooLarge || message.Data.Length > _options.MaxControlMessageBytes)
                {
                    Send(StreamMessages.Error(ProtocolErrors.TooLarge, $"Control messages are limited to {_options.MaxControlMessageBytes} bytes"));
                    await CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big");
                    return;
                }
                // The one JSON reader first: it refuses repeated keys and strings PostgreSQL cannot store (U+0000).
                if (!MatrixBody.TryParseObject(message.Span, out _, out var refused))
                {
                    Send(StreamMessages.Error(refused.ErrCode, refused.Error));
                    continue;
                }
                ClientMessage control;
                try { control = ControlJson.ParseClient(message.Span); }
                catch (ControlMessageException e)
                {
                    // A floor.request that cannot be read is still answered as a request: floor.denied with the error.
                    Send(e is { Type: ControlTypes.FloorRequest, RoomId: { } room }
                        ? StreamMessages.Denied(room, e.Errcode, e.Message)
                        : StreamMessages.Error(e.Errcode, e.Message, e.RoomId));
                    continue;
                }
                await onControl(this, control);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }

    /// <summary>Counts an invalid frame; past the limit the connection gets <c>error</c> and is closed with 1008 (true).</summary>
    public bool RejectFrame()
    {
        if (!CountInvalid()) return false;
        Send(StreamMessages.Error(ProtocolErrors.LimitExceeded,
            $"More than {_options.MaxInvalidFrames} invalid audio frames in {_options.InvalidFrameWindow.TotalSeconds:0} s"));
        _ = CloseAsync(WebSocketCloseStatus.PolicyViolation, "too many invalid frames");
        return true;
    }

    /// <summary>The send loop's last step, after the queued control messages: the close frame, when one was asked for.</summary>
    async Task SendCloseAsync()
    {
        if (_close is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            await _socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None);
    }

    /// <summary>Closes after the queued control messages (an `error`) went out; the send loop sends the close frame.</summary>
    public Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        _close ??= (status, reason);
        _writer.Complete();
        return Task.CompletedTask;
    }
}
