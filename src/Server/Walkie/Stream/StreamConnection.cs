using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// One device's WebSocket: a receive loop (control messages and the talker's frames), a send loop, and two outgoing
/// queues — control messages (never dropped) and audio (bounded, drop-oldest, so a slow listener only loses its own
/// oldest frames and never delays anyone else). Frames are shared byte arrays: one copy per relayed frame for everyone.
/// </summary>
public sealed class StreamConnection
{
    readonly WebSocket _socket;
    readonly StreamOptions _options;
    readonly Channel<byte[]> _audio;
    readonly Channel<byte[]> _control = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    // One doorbell for both queues: awaiting each queue re-armed a waiter per frame, cancelling the last (a thrown OperationCanceledException and ~1 KB per frame per listener).
    readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    readonly Queue<long> _invalidAt = new();
    readonly TimeProvider _clock;
    long _windowStart;
    int _framesThisSecond;
    long _audioDropped, _invalid, _quiet, _sent;
    (WebSocketCloseStatus Status, string Reason)? _close;

    public DeviceRef Device { get; }
    public Guid Id { get; } = Guid.NewGuid();
    /// <summary>Rooms this connection is subscribed to, with each room's consent (unix ms it ends; long.MaxValue: permanent; 0: none).</summary>
    public ConcurrentDictionary<string, Subscription> Rooms { get; } = new();
    public long AudioDropped => Interlocked.Read(ref _audioDropped);
    public long InvalidFrames => Interlocked.Read(ref _invalid);
    /// <summary>Frames of this device's own just-ended grant, still in flight when it ended: dropped, not held against it.</summary>
    public long LateFramesDropped => Interlocked.Read(ref _quiet);
    public long FramesSent => Interlocked.Read(ref _sent);

    public sealed class Subscription(ushort channel)
    {
        public ushort Channel { get; } = channel;
        public long ConsentUntilMs;
        public bool HearsAt(long nowMs) => Volatile.Read(ref ConsentUntilMs) > nowMs;
    }

    public StreamConnection(DeviceRef device, WebSocket socket, StreamOptions options, TimeProvider clock)
    {
        Device = device;
        _socket = socket;
        _options = options;
        _clock = clock;
        _audio = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(options.ListenerQueueFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _audioDropped));
    }

    public void Send(ServerMessage message) => Send(ControlJson.Serialize(message));

    /// <summary>Queues a serialized control message (shared bytes: a room-wide message is serialized once).</summary>
    public void Send(byte[] utf8)
    {
        if (_control.Writer.TryWrite(utf8)) _wake.Writer.TryWrite(true);
    }

    public void SendAudio(byte[] frame)
    {
        if (_audio.Writer.TryWrite(frame)) _wake.Writer.TryWrite(true);
    }

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
        var sending = SendLoopAsync(cts.Token);
        try { await ReceiveLoopAsync(onControl, onFrame, cts.Token); }
        finally
        {
            CompleteQueues();
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

    async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                if (_control.Reader.TryRead(out var text))
                {
                    await _socket.SendAsync(text, WebSocketMessageType.Text, true, ct);
                    continue;
                }
                if (_audio.Reader.TryRead(out var frame))
                {
                    await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, ct);
                    Interlocked.Increment(ref _sent);
                    continue;
                }
                // No token, so the channel's pooled waiter (nothing allocated); every way out completes the doorbell.
                if (!await _wake.Reader.WaitToReadAsync(CancellationToken.None)) break;
                _wake.Reader.TryRead(out _);
            }
            // Completed: a control message queued as the queues closed (an `error`) still goes out before the close frame.
            while (_control.Reader.TryRead(out var text)) await _socket.SendAsync(text, WebSocketMessageType.Text, true, ct);
            if (_close is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(close.Status, close.Reason, ct);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>Closes after the queued control messages (an `error`) went out; the send loop sends the close frame.</summary>
    public Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        _close ??= (status, reason);
        CompleteQueues();
        return Task.CompletedTask;
    }

    void CompleteQueues()
    {
        _control.Writer.TryComplete();
        _audio.Writer.TryComplete();
        _wake.Writer.TryComplete();
    }
}
