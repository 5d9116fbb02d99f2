using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using WalkieTalkie.Server.Infrastructure;

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
    readonly Channel<string> _control = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    // One doorbell for both queues: awaiting each queue re-armed a waiter per frame, cancelling the last (a thrown OperationCanceledException and ~1 KB per frame per listener).
    readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    readonly Queue<long> _invalidAt = new();
    readonly TimeProvider _clock;
    long _windowStart;
    int _framesThisSecond;
    long _audioDropped, _invalid, _sent;
    (WebSocketCloseStatus Status, string Reason)? _close;

    public DeviceRef Device { get; }
    public Guid Id { get; } = Guid.NewGuid();
    /// <summary>Rooms this connection is subscribed to, with each room's consent (unix ms it ends; long.MaxValue: permanent; 0: none).</summary>
    public ConcurrentDictionary<string, Subscription> Rooms { get; } = new();
    public long AudioDropped => Interlocked.Read(ref _audioDropped);
    public long InvalidFrames => Interlocked.Read(ref _invalid);
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

    public void Send(JsonObject message)
    {
        if (_control.Writer.TryWrite(message.ToJsonString())) _wake.Writer.TryWrite(true);
    }

    public void SendAudio(byte[] frame)
    {
        if (_audio.Writer.TryWrite(frame)) _wake.Writer.TryWrite(true);
    }

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

    public async Task RunAsync(Func<StreamConnection, JsonObject, Task> onControl, Func<StreamConnection, ReadOnlyMemory<byte>, bool> onFrame,
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

    async Task ReceiveLoopAsync(Func<StreamConnection, JsonObject, Task> onControl, Func<StreamConnection, ReadOnlyMemory<byte>, bool> onFrame,
        CancellationToken ct)
    {
        // Held while idle: sized for one audio frame (2 KiB from the pool), not for the largest control message (Rent(16 KiB + 1) is 32 KiB).
        var frameBuffer = ArrayPool<byte>.Shared.Rent(Audio.AudioFrame.MaxFrameSize + 1);
        var buffer = frameBuffer;
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                if (buffer != frameBuffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = frameBuffer;
                }
                var length = 0;
                ValueWebSocketReceiveResult result;
                var tooBig = false;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer == frameBuffer)
                        {
                            // A longer message (a large control message): a larger buffer for this message only.
                            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_options.MaxControlMessageBytes, Audio.AudioFrame.MaxFrameSize) + 1);
                            frameBuffer.AsSpan(0, length).CopyTo(buffer);
                        }
                        else
                        {
                            tooBig = true; // keep reading to the end of the message, drop it
                            length = 0;
                        }
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), ct);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                tooBig |= result.MessageType == WebSocketMessageType.Text && length > _options.MaxControlMessageBytes;

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    // An oversized frame is invalid; it is counted like any other invalid frame.
                    var accepted = !tooBig && onFrame(this, buffer.AsMemory(0, length));
                    if (!accepted && CountInvalid())
                    {
                        Send(StreamMessages.Error("M_LIMIT_EXCEEDED", $"More than {_options.MaxInvalidFrames} invalid audio frames in {_options.InvalidFrameWindow.TotalSeconds:0} s"));
                        await CloseAsync(WebSocketCloseStatus.PolicyViolation, "too many invalid frames");
                        return;
                    }
                    continue;
                }
                if (tooBig)
                {
                    Send(StreamMessages.Error("M_TOO_LARGE", $"Control messages are limited to {_options.MaxControlMessageBytes} bytes"));
                    await CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big");
                    return;
                }
                // The one JSON reader: also refuses repeated keys and strings PostgreSQL cannot store (U+0000).
                if (MatrixBody.TryParseObject(buffer.AsSpan(0, length), out var message, out var refused)) await onControl(this, message);
                else Send(StreamMessages.Error(refused.ErrCode, refused.Error));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        finally
        {
            if (buffer != frameBuffer) ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(frameBuffer);
        }
    }

    async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                if (_control.Reader.TryRead(out var text))
                {
                    await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
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
            while (_control.Reader.TryRead(out var text)) await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
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
