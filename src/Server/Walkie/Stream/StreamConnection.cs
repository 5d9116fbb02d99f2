using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Stream.Relay;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// One device's WebSocket: a receive loop (control messages and the talker's frames) and one ordered outgoing queue of
/// ready-made WebSocket frames — control messages (never dropped) and audio (bounded, drop-oldest, so a slow listener
/// only loses its own oldest frames and never delays anyone else). A frame for an idle connection is written straight
/// to its transport by the relaying thread; otherwise it queues, and the connection's one long-lived send loop writes
/// everything queued since its last wake-up as one write and one flush. Audio frames are shared, pooled buffers.
/// </summary>
public sealed class StreamConnection
{
    const int BatchFrames = 64;
    readonly RelayTransport _transport;
    readonly WebSocket _socket;
    readonly StreamOptions _options;
    readonly Lock _gate = new();
    readonly OutgoingQueue _queue;
    RelayFrame[]? _batch;
    // Someone owns the writing: an inline write in progress, or the send loop rung to drain the queue.
    bool _busy, _completed;
    // The send loop's doorbell; awaited without a token, so the channel's pooled waiter (nothing allocated).
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
        _queue = new OutgoingQueue(options.ListenerQueueFrames);
    }

    public void Send(ServerMessage message) => Send(ControlJson.Serialize(message));

    /// <summary>Queues a serialized control message.</summary>
    public void Send(byte[] utf8) => Send(RelayFrame.Text(utf8));

    /// <summary>Queues a framed control message (shared: a room-wide message is serialized and framed once).</summary>
    public void Send(RelayFrame text) => Write(text);

    /// <summary>Queues (or writes at once) a shared audio frame; the connection takes its own reference.</summary>
    public void SendAudio(RelayFrame frame)
    {
        frame.AddRef();
        Write(frame);
    }

    /// <summary>
    /// Several shared audio frames, in order (a lane that fell behind hands over what waited): written at once as one
    /// write when nothing is ahead of them, else queued. The connection takes its own references.
    /// </summary>
    public void SendAudio(ReadOnlySpan<RelayFrame> frames)
    {
        if (frames.Length == 1)
        {
            SendAudio(frames[0]);
            return;
        }
        bool inline = false, ring = false;
        lock (_gate)
        {
            if (_completed) return;
            if (!_busy && _queue.IsEmpty) inline = _busy = true;
            else
            {
                foreach (var frame in frames)
                {
                    frame.AddRef();
                    if (!_queue.Enqueue(frame)) Interlocked.Increment(ref _audioDropped);
                }
                if (!_busy) ring = _busy = true;
            }
        }
        if (inline) WriteNow(frames);
        else if (ring) _wake.Writer.TryWrite(true);
    }

    /// <summary>As <see cref="WriteNow(RelayFrame)"/> for several frames: copied into one buffer, one write.</summary>
    void WriteNow(ReadOnlySpan<RelayFrame> frames)
    {
        if (!_transport.TryEnter())
        {
            lock (_gate)
                foreach (var frame in frames)
                {
                    frame.AddRef();
                    _queue.Enqueue(frame);
                }
            _wake.Writer.TryWrite(true);
            return;
        }
        var bytes = 0;
        foreach (var frame in frames) bytes += frame.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(bytes);
        var at = 0;
        foreach (var frame in frames)
        {
            frame.Bytes.Span.CopyTo(buffer.AsSpan(at));
            at += frame.Length;
        }
        ValueTask write;
        try { write = _transport.WriteFramesAsync(buffer.AsMemory(0, bytes)); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            write = ValueTask.FromException(e);
        }
        if (!write.IsCompleted)
        {
            _ = WrittenAsync(buffer, frames.Length, write);
            return;
        }
        var failed = false;
        try { write.GetAwaiter().GetResult(); }
        catch (Exception) { failed = true; }
        Written(buffer, frames.Length, failed);
    }

    async Task WrittenAsync(byte[] buffer, int audio, ValueTask write)
    {
        var failed = false;
        try { await write; }
        catch (Exception) { failed = true; }
        Written(buffer, audio, failed);
    }

    void Written(byte[] buffer, int audio, bool failed)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        _transport.Exit();
        if (!failed) Interlocked.Add(ref _sent, audio);
        if (failed) CompleteQueues();
        Idle();
    }

    /// <summary>Takes the caller's reference to <paramref name="frame"/>: written now if nothing is ahead of it, else queued in order.</summary>
    void Write(RelayFrame frame)
    {
        bool inline = false, ring = false;
        lock (_gate)
        {
            if (_completed)
            {
                frame.Release();
                return;
            }
            if (!_busy && _queue.IsEmpty) inline = _busy = true;
            else
            {
                if (!_queue.Enqueue(frame)) Interlocked.Increment(ref _audioDropped);
                if (!_busy) ring = _busy = true;
            }
        }
        if (inline) WriteNow(frame);
        else if (ring) _wake.Writer.TryWrite(true);
    }

    /// <summary>The relaying thread writes the frame itself (no hop to another thread); the send loop takes over what queued meanwhile.</summary>
    void WriteNow(RelayFrame frame)
    {
        if (!_transport.TryEnter())
        {
            // The WebSocket is writing a pong or close frame: queue behind it and let the send loop wait.
            lock (_gate) _queue.Enqueue(frame);
            _wake.Writer.TryWrite(true);
            return;
        }
        ValueTask write;
        try { write = _transport.WriteFramesAsync(frame.Bytes); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            write = ValueTask.FromException(e);
        }
        if (!write.IsCompleted)
        {
            _ = WrittenAsync(frame, write); // the listener's transport pushes back: only then a task
            return;
        }
        var failed = false;
        try { write.GetAwaiter().GetResult(); }
        catch (Exception) { failed = true; }
        Written(frame, failed);
    }

    async Task WrittenAsync(RelayFrame frame, ValueTask write)
    {
        var failed = false;
        try { await write; }
        catch (Exception) { failed = true; }
        Written(frame, failed);
    }

    void Written(RelayFrame frame, bool failed)
    {
        _transport.Exit();
        if (frame.IsAudio && !failed) Interlocked.Increment(ref _sent);
        frame.Release();
        if (failed) CompleteQueues();
        Idle();
    }

    /// <summary>After an inline write: the send loop takes over what queued meanwhile, else the connection is free again.</summary>
    void Idle()
    {
        bool ring;
        lock (_gate)
        {
            ring = !_queue.IsEmpty || _completed;
            if (!ring) _busy = false;
        }
        if (ring) _wake.Writer.TryWrite(true);
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
        var sending = SendLoopAsync();
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

    async Task SendLoopAsync()
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(CancellationToken.None))
            {
                _wake.Reader.TryRead(out _);
                await DrainAsync(controlOnly: false);
            }
            // Completed: a control message queued as the queues closed (an `error`) still goes out before the close frame.
            await DrainAsync(controlOnly: true);
            if (_close is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException) { }
        finally
        {
            lock (_gate)
            {
                _completed = true;
                _queue.Clear();
            }
        }
    }

    /// <summary>Everything queued since the last wake-up: copied into one buffer, one write, one flush; until the queue is empty.</summary>
    async Task DrainAsync(bool controlOnly)
    {
        var batch = _batch ??= new RelayFrame[BatchFrames];
        while (true)
        {
            int n;
            lock (_gate)
            {
                n = _queue.Take(batch, controlOnly);
                if (n == 0)
                {
                    _busy = false;
                    return;
                }
            }
            var bytes = 0;
            for (var i = 0; i < n; i++) bytes += batch[i].Length;
            var buffer = ArrayPool<byte>.Shared.Rent(bytes);
            var audio = 0;
            try
            {
                var at = 0;
                for (var i = 0; i < n; i++)
                {
                    batch[i].Bytes.Span.CopyTo(buffer.AsSpan(at));
                    at += batch[i].Length;
                    if (batch[i].IsAudio) audio++;
                    batch[i].Release();
                    batch[i] = null!;
                }
                await _transport.EnterAsync();
                try { await _transport.WriteFramesAsync(buffer.AsMemory(0, bytes)); }
                finally { _transport.Exit(); }
                Interlocked.Add(ref _sent, audio);
            }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
        }
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
        lock (_gate) _completed = true;
        _wake.Writer.TryComplete();
    }
}
