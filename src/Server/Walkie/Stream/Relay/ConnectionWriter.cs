using System.Buffers;
using System.Threading.Channels;

namespace WalkieTalkie.Server.Walkie.Stream.Relay;

/// <summary>
/// The outgoing half of one connection: one ordered queue of ready-made WebSocket frames — control messages (never
/// dropped) and audio (bounded, drop-oldest, so a slow listener only loses its own oldest frames and never delays anyone
/// else) — and who writes them. A frame for an idle connection is written straight to its transport by the relaying
/// thread; otherwise it queues, and the connection's one long-lived send loop writes everything queued since its last
/// wake-up as one write and one flush. Audio frames are shared, pooled buffers.
/// </summary>
public sealed class ConnectionWriter
{
    const int BatchFrames = 64;
    readonly RelayTransport _transport;
    readonly Lock _gate = new();
    readonly OutgoingQueue _queue;
    // The send loop's doorbell; awaited without a token, so the channel's pooled waiter (nothing allocated).
    readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    RelayFrame[]? _batch;
    // Someone owns the writing: an inline write in progress, or the send loop rung to drain the queue.
    bool _busy, _completed;
    long _audioDropped, _sent;

    public ConnectionWriter(RelayTransport transport, int maxQueuedAudio)
    {
        _transport = transport;
        _queue = new OutgoingQueue(maxQueuedAudio);
    }

    public long AudioDropped => Interlocked.Read(ref _audioDropped);
    public long FramesSent => Interlocked.Read(ref _sent);

    /// <summary>Takes the caller's reference to <paramref name="frame"/>: written now if nothing is ahead of it, else queued in order.</summary>
    public void Write(RelayFrame frame)
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
                Enqueue(frame);
                if (!_busy) ring = _busy = true;
            }
        }
        if (inline) WriteNow(frame);
        else if (ring) _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Several shared frames, in order (a lane that fell behind hands over what waited): written at once as one write
    /// when nothing is ahead of them, else queued. The writer takes its own references.
    /// </summary>
    public void Write(ReadOnlySpan<RelayFrame> frames)
    {
        if (frames.Length == 1)
        {
            frames[0].AddRef();
            Write(frames[0]);
            return;
        }
        bool inline = false, ring = false;
        lock (_gate)
        {
            if (_completed) return;
            if (!_busy && _queue.IsEmpty) inline = _busy = true;
            else
            {
                EnqueueReferenced(frames);
                if (!_busy) ring = _busy = true;
            }
        }
        if (inline) WriteNow(frames);
        else if (ring) _wake.Writer.TryWrite(true);
    }

    /// <summary>The relaying thread writes the frame itself (no hop to another thread); the send loop takes over what queued meanwhile.</summary>
    void WriteNow(RelayFrame frame)
    {
        if (!_transport.TryEnter())
        {
            // The WebSocket is writing a pong or close frame: queue behind it and let the send loop wait.
            lock (_gate) Enqueue(frame);
            _wake.Writer.TryWrite(true);
            return;
        }
        Start(frame.Bytes, new Written(frame, null, frame.IsAudio ? 1 : 0));
    }

    /// <summary>As <see cref="WriteNow(RelayFrame)"/> for several frames: copied into one buffer, one write.</summary>
    void WriteNow(ReadOnlySpan<RelayFrame> frames)
    {
        if (!_transport.TryEnter())
        {
            lock (_gate) EnqueueReferenced(frames);
            _wake.Writer.TryWrite(true);
            return;
        }
        var (buffer, bytes, audio) = Concatenate(frames);
        Start(buffer.AsMemory(0, bytes), new Written(null, buffer, audio));
    }

    /// <summary>Under the transport's write lock: the write, finished inline when the socket took it at once (the usual case), else awaited.</summary>
    void Start(ReadOnlyMemory<byte> bytes, Written written)
    {
        ValueTask write;
        try { write = _transport.WriteFramesAsync(bytes); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            write = ValueTask.FromException(e);
        }
        if (!write.IsCompleted)
        {
            _ = FinishAsync(write, written); // the listener's transport pushes back: only then a task
            return;
        }
        var failed = false;
        try { write.GetAwaiter().GetResult(); }
        catch (Exception) { failed = true; }
        Finish(written, failed);
    }

    async Task FinishAsync(ValueTask write, Written written)
    {
        var failed = false;
        try { await write; }
        catch (Exception) { failed = true; }
        Finish(written, failed);
    }

    void Finish(Written written, bool failed)
    {
        written.Frame?.Release();
        if (written.Buffer is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
        _transport.Exit();
        if (!failed) Interlocked.Add(ref _sent, written.Audio);
        if (failed) Complete();
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

    /// <summary>Under the gate: queues the frame (taking the caller's reference), counting an audio frame dropped for it.</summary>
    void Enqueue(RelayFrame frame)
    {
        if (!_queue.Enqueue(frame)) Interlocked.Increment(ref _audioDropped);
    }

    void EnqueueReferenced(ReadOnlySpan<RelayFrame> frames)
    {
        foreach (var frame in frames)
        {
            frame.AddRef();
            Enqueue(frame);
        }
    }

    /// <summary>
    /// The send loop: drains the queue each time it is rung, until <see cref="Complete"/>; then writes the control
    /// messages still queued (an `error`) and calls <paramref name="closing"/> to send the close frame.
    /// </summary>
    public async Task RunAsync(Func<Task> closing)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(CancellationToken.None))
            {
                _wake.Reader.TryRead(out _);
                await DrainAsync(controlOnly: false);
            }
            await DrainAsync(controlOnly: true);
            await closing();
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException or ObjectDisposedException
                                      or IOException or InvalidOperationException) { }
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
            var (buffer, bytes, audio) = Concatenate(batch.AsSpan(0, n));
            for (var i = 0; i < n; i++)
            {
                batch[i].Release();
                batch[i] = null!;
            }
            try
            {
                await _transport.EnterAsync();
                try { await _transport.WriteFramesAsync(buffer.AsMemory(0, bytes)); }
                finally { _transport.Exit(); }
                Interlocked.Add(ref _sent, audio);
            }
            finally { ArrayPool<byte>.Shared.Return(buffer); }
        }
    }

    /// <summary>No more writes: what is queued is drained by the send loop (control messages only), then it ends.</summary>
    public void Complete()
    {
        lock (_gate) _completed = true;
        _wake.Writer.TryComplete();
    }

    /// <summary>The frames' bytes one after the other in a pooled buffer, and how many of them are audio.</summary>
    static (byte[] Buffer, int Bytes, int Audio) Concatenate(ReadOnlySpan<RelayFrame> frames)
    {
        var bytes = 0;
        foreach (var frame in frames) bytes += frame.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(bytes);
        int at = 0, audio = 0;
        foreach (var frame in frames)
        {
            frame.Bytes.Span.CopyTo(buffer.AsSpan(at));
            at += frame.Length;
            if (frame.IsAudio) audio++;
        }
        return (buffer, bytes, audio);
    }

    /// <summary>What an inline write holds until it is done: the frame's reference, or the pooled buffer of several.</summary>
    readonly record struct Written(RelayFrame? Frame, byte[]? Buffer, int Audio);
}
