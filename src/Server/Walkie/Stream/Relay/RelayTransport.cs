using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace WalkieTalkie.Server.Walkie.Stream.Relay;

/// <summary>
/// The upgraded connection's byte stream, shared by two writers: the relay, which writes ready-made frames straight to
/// it (<see cref="TryEnter"/>/<see cref="EnterAsync"/> + <see cref="WriteFramesAsync"/>), and the <see cref="WebSocket"/> on
/// top of it, which still reads every incoming frame and writes its own protocol frames (pong, close) through
/// <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>. One lock keeps every frame whole.
/// <para>
/// On a plain-TCP HTTP/1.1 upgrade the writes go to the connection's socket itself (<see cref="IConnectionSocketFeature"/>)
/// instead of through Kestrel's output pipe: one send system call on the writing thread, no copy into the pipe and no
/// hop to Kestrel's sending thread. That starts only once the client has sent something: a client sends only after it
/// has read the 101 (RFC 6455 §4.1), so nothing written through the pipe can still be on its way, and only if nothing
/// but the 101 went through the pipe. TLS, HTTP/2, a test host without sockets, or <c>WriteToSocket=false</c> keep the pipe.
/// </para>
/// </summary>
public sealed class RelayTransport : System.IO.Stream
{
    const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    readonly System.IO.Stream _inner;
    readonly SemaphoreSlim _writing = new(1, 1);
    // The socket to write to once the client has spoken; null: always the pipe.
    readonly Socket? _socket;
    volatile bool _clientSpoke;
    bool _pipeUsed, _direct;

    RelayTransport(System.IO.Stream inner, Socket? socket)
    {
        _inner = inner;
        _socket = socket;
    }

    /// <summary>Writes go straight to the socket (for diagnostics and tests).</summary>
    public bool WritesToSocket => _direct;

    /// <summary>The WebSocket reading this transport (and answering pings, closing).</summary>
    public WebSocket Socket { get; private set; } = null!;

    /// <summary>
    /// Accepts the WebSocket as the middleware would (its checks already ran: <c>IsWebSocketRequest</c>), but keeps the
    /// upgraded stream: HTTP/1.1 upgrade (101 with Sec-WebSocket-Accept) or HTTP/2 extended CONNECT (200).
    /// </summary>
    public static async Task<RelayTransport> AcceptAsync(HttpContext http, bool writeToSocket = true)
    {
        System.IO.Stream stream;
        Socket? socket = null;
        if (http.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
            stream = await connect.AcceptAsync();
        else
        {
            if (writeToSocket && !http.Request.IsHttps && http.Features.Get<ITlsConnectionFeature>() is null)
                socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
            var upgrade = http.Features.Get<IHttpUpgradeFeature>() ?? throw new InvalidOperationException("The server cannot upgrade this connection");
            var headers = http.Response.Headers;
            headers.Connection = "Upgrade";
            headers.Upgrade = "websocket";
            headers.SecWebSocketAccept = AcceptKey(http.Request.Headers.SecWebSocketKey.ToString());
            stream = await upgrade.UpgradeAsync(); // sends the 101
        }
        var transport = new RelayTransport(stream, socket);
        var keepAlive = http.RequestServices.GetService<IOptions<WebSocketOptions>>()?.Value.KeepAliveInterval ?? TimeSpan.Zero;
        transport.Socket = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = keepAlive });
        return transport;
    }

    /// <summary>RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).</summary>
    public static string AcceptKey(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + WebSocketGuid)));

    /// <summary>Takes the write side if nobody holds it (no wait).</summary>
    public bool TryEnter() => _writing.Wait(0);
    public Task EnterAsync() => _writing.WaitAsync();
    public void Exit() => _writing.Release();

    /// <summary>Under <see cref="TryEnter"/>/<see cref="EnterAsync"/>: whole frames, written and flushed as one.</summary>
    public ValueTask WriteFramesAsync(ReadOnlyMemory<byte> frames) => WriteCoreAsync(frames, CancellationToken.None);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try { await WriteCoreAsync(buffer, cancellationToken); }
        finally { _writing.Release(); }
    }

    // Under the write lock. The socket's SendAsync tries the send on this thread and completes at once when the kernel
    // took every byte (the usual case for a 60-byte frame); only a full send buffer leaves it pending.
    ValueTask WriteCoreAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct)
    {
        if (!_direct)
        {
            if (_socket is null || !_clientSpoke || _pipeUsed)
            {
                _pipeUsed = true;
                return _inner.WriteAsync(buffer, ct);
            }
            _direct = true;
        }
        var sending = _socket!.SendAsync(buffer, SocketFlags.None, ct);
        return sending.IsCompletedSuccessfully && sending.Result == buffer.Length ? ValueTask.CompletedTask : SendRestAsync(sending, buffer, ct);
    }

    async ValueTask SendRestAsync(ValueTask<int> sending, ReadOnlyMemory<byte> buffer, CancellationToken ct)
    {
        var sent = await sending;
        while (sent < buffer.Length)
        {
            if (sent <= 0) throw new IOException("The connection's socket took no bytes");
            buffer = buffer[sent..];
            sent = await _socket!.SendAsync(buffer, SocketFlags.None, ct);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var reading = _inner.ReadAsync(buffer, cancellationToken);
        if (_clientSpoke || _socket is null) return reading;
        return reading.IsCompletedSuccessfully ? new ValueTask<int>(Spoke(reading.Result)) : ReadFirstAsync(reading);
    }

    async ValueTask<int> ReadFirstAsync(ValueTask<int> reading) => Spoke(await reading);

    int Spoke(int read)
    {
        if (read > 0) _clientSpoke = true;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => Spoke(_inner.Read(buffer, offset, count));

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
    public override void Flush() => _inner.Flush();

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
