using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Bench.Relay;

/// <summary>
/// A listening client: one WebSocket and its receive loop, in this process. Each binary frame is timestamped on
/// receipt and recorded against its seq's send time; control messages are answered to whoever waits for them.
/// </summary>
sealed class Listener : IAsyncDisposable
{
    readonly ClientWebSocket _socket;
    readonly WebSocketMessageReader _reader;
    readonly Task _receiving;
    sealed record Awaited(string Type, TaskCompletionSource<JsonObject> Reply)
    {
        public long At;
    }

    Awaited? _awaiting;
    TaskCompletionSource<long>? _firstFrame;
    long _frames;

    public long Frames => Volatile.Read(ref _frames);
    public long LastFrameAt;
    public CountingStream? Counter { get; }

    Listener(ClientWebSocket socket, CountingStream? counter)
    {
        _socket = socket;
        _reader = new WebSocketMessageReader(socket, 64 * 1024);
        Counter = counter;
        _receiving = ReceiveAsync();
    }

    /// <param name="count">Count every byte on the TCP connection (WebSocket control frames included).</param>
    public static async Task<Listener> ConnectAsync(Uri uri, bool count = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // the client sends nothing unasked either
        if (!count)
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
            return new Listener(socket, null);
        }
        CountingStream? counter = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await tcp.ConnectAsync(context.DnsEndPoint, ct);
                return counter = new CountingStream(new NetworkStream(tcp, ownsSocket: true));
            },
        };
        await socket.ConnectAsync(uri, new HttpMessageInvoker(handler, disposeHandler: false), CancellationToken.None);
        return new Listener(socket, counter);
    }

    public Task SendTextAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Sends <paramref name="json"/> and waits for the control message of type <paramref name="replyType"/>.</summary>
    public async Task<JsonObject> RequestAsync(string json, string replyType, TimeSpan? timeout = null)
    {
        var awaited = new Awaited(replyType, new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously));
        _awaiting = awaited;
        await SendTextAsync(json);
        try { return await awaited.Reply.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30)); }
        finally { _awaiting = null; }
    }

    /// <summary>Late entry: sends `subscribe`; ms from just before sending it to the `subscribed` answer and to the first audio frame.</summary>
    public async Task<(double Subscribed, double FirstFrame)> SubscribeUntilFirstFrameAsync(string json, TimeSpan timeout)
    {
        var first = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var awaited = new Awaited(ControlTypes.Subscribed, new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously));
        _firstFrame = first;
        _awaiting = awaited;
        var sent = Stopwatch.GetTimestamp();
        await SendTextAsync(json);
        var at = await first.Task.WaitAsync(timeout);
        await awaited.Reply.Task.WaitAsync(timeout);
        return (SendTimes.Ms(awaited.At - sent), SendTimes.Ms(at - sent));
    }

    async Task ReceiveAsync()
    {
        try
        {
            while (true)
            {
                var received = await _reader.ReadAsync(CancellationToken.None);
                if (received.IsClose) return;
                var at = Stopwatch.GetTimestamp();
                if (received.Type == WebSocketMessageType.Binary)
                {
                    if (AudioFrame.TryParse(received.Span, out var header, out Range _)) Recorder.Current?.Record(header.Seq, at);
                    Volatile.Write(ref _frames, _frames + 1);
                    LastFrameAt = at;
                    _firstFrame?.TrySetResult(at);
                    continue;
                }
                if (_awaiting is not { } awaiting || received.TooLarge) continue;
                var message = JsonNode.Parse(received.Span) as JsonObject;
                var type = message?["type"]?.GetValue<string>();
                if (type == awaiting.Type)
                {
                    awaiting.At = at;
                    awaiting.Reply.TrySetResult(message!);
                }
                else if (type is ControlTypes.Error or ControlTypes.FloorDenied)
                    awaiting.Reply.TrySetException(new InvalidOperationException($"waiting for {awaiting.Type}, got {message!.ToJsonString()}"));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort(); // a reset, as a phone dropping off the network: quick for thousands of sockets
        await _receiving;
        _reader.Dispose();
        _socket.Dispose();
    }
}

/// <summary>The talking client: sends binary frames (paced at 50 frames/s, or as fast as the socket takes them).</summary>
sealed class Talker : IAsyncDisposable
{
    readonly ClientWebSocket _socket;
    readonly Channel<JsonObject> _control = System.Threading.Channels.Channel.CreateUnbounded<JsonObject>();
    readonly byte[][] _packets;
    readonly Task _receiving;
    int _packet;

    public ushort Channel { get; set; }
    public uint Epoch { get; set; }

    Talker(ClientWebSocket socket, byte[][] packets)
    {
        _socket = socket;
        _packets = packets;
        _receiving = ReceiveAsync();
    }

    public static async Task<Talker> ConnectAsync(Uri uri, byte[][] packets)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return new Talker(socket, packets);
    }

    public Task SendAsync(ClientMessage message) =>
        _socket.SendAsync(ControlJson.Serialize(message), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next control message of that type; others before it are skipped.</summary>
    public async Task<JsonObject> NextAsync(string type, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var message = await _control.Reader.ReadAsync(cts.Token);
            var got = message["type"]?.GetValue<string>();
            if (got == type) return message;
            if (got is ControlTypes.Error or ControlTypes.FloorDenied or ControlTypes.FloorRevoked) throw new InvalidOperationException($"waiting for {type}, got {message.ToJsonString()}");
        }
    }

    byte[] Frame(uint seq)
    {
        var payload = _packets[_packet++ % _packets.Length];
        var frame = new byte[AudioFrame.HeaderSize + payload.Length];
        AudioFrame.Write(frame, new AudioFrameHeader(Channel, Epoch, seq), payload);
        return frame;
    }

    /// <summary>Sends seqs first..first+count-1 at <paramref name="fps"/> on the calling (dedicated) thread.</summary>
    public void SendPaced(uint first, int count, int fps, CancellationToken ct = default)
    {
        var interval = (double)Stopwatch.Frequency / fps;
        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < count && !ct.IsCancellationRequested; k++)
        {
            var due = start + (long)(k * interval);
            long now;
            while ((now = Stopwatch.GetTimestamp()) < due) Thread.Sleep(Math.Max(1, (int)SendTimes.Ms(due - now)));
            Send(first + (uint)k);
        }
    }

    /// <summary>Sends the frame of <paramref name="seq"/> now, on the calling thread, and notes its send time.</summary>
    public void Send(uint seq)
    {
        var frame = Frame(seq);
        SendTimes.At[seq] = Stopwatch.GetTimestamp();
        _socket.SendAsync(frame.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    public Task SendPacedAsync(uint first, int count, int fps, CancellationToken ct = default) =>
        Task.Factory.StartNew(() => SendPaced(first, count, fps, ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Frames as fast as the listeners take them, for <paramref name="duration"/>: at most <paramref name="window"/>
    /// frames ahead of <paramref name="acknowledged"/> (frames the sampled listeners have all received), so that the
    /// rate is what the server relays, not what kernel buffers swallow. Returns how many were sent.
    /// </summary>
    public async Task<int> FloodAsync(uint first, TimeSpan duration, Func<long> acknowledged, int window)
    {
        var watch = Stopwatch.StartNew();
        var sent = 0;
        while (watch.Elapsed < duration)
        {
            if (sent - acknowledged() >= window)
            {
                await Task.Delay(1);
                continue;
            }
            var seq = first + (uint)sent;
            var frame = Frame(seq);
            SendTimes.At[seq] = Stopwatch.GetTimestamp();
            await _socket.SendAsync(frame.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None);
            sent++;
        }
        return sent;
    }

    async Task ReceiveAsync()
    {
        using var reader = new WebSocketMessageReader(_socket, 64 * 1024);
        try
        {
            while (true)
            {
                var received = await reader.ReadAsync(CancellationToken.None);
                if (received.IsClose) return;
                if (received.Type == WebSocketMessageType.Text && !received.TooLarge && JsonNode.Parse(received.Span) is JsonObject message)
                {
                    if (message["type"]?.GetValue<string>() is ControlTypes.FloorRevoked or ControlTypes.Error)
                        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] talker got {message.ToJsonString()}");
                    _control.Writer.TryWrite(message);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        finally { _control.Writer.TryComplete(); }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }
}

/// <summary>Counts the bytes read and written on the raw TCP stream under a WebSocket (frames, headers, control frames).</summary>
sealed class CountingStream(Stream inner) : Stream
{
    long _read, _written;
    public long BytesRead => Interlocked.Read(ref _read);
    public long BytesWritten => Interlocked.Read(ref _written);

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Interlocked.Add(ref _written, count);
    }
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Interlocked.Add(ref _written, buffer.Length);
    }
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    int Counted(int read)
    {
        Interlocked.Add(ref _read, read);
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
