using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace WalkieTalkie.Server.Walkie.Stream.Relay;

/// <summary>
/// The upgraded connection's byte stream, shared by two writers: the relay, which writes ready-made frames straight to
/// it (<see cref="TryEnter"/>/<see cref="EnterAsync"/> + <see cref="WriteFramesAsync"/>), and the <see cref="WebSocket"/> on
/// top of it, which still reads every incoming frame and writes its own protocol frames (pong, close) through
/// <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>. One lock keeps every frame whole.
/// </summary>
public sealed class RelayTransport : System.IO.Stream
{
    const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    readonly System.IO.Stream _inner;
    readonly SemaphoreSlim _writing = new(1, 1);

    RelayTransport(System.IO.Stream inner) => _inner = inner;

    /// <summary>The WebSocket reading this transport (and answering pings, closing).</summary>
    public WebSocket Socket { get; private set; } = null!;

    /// <summary>
    /// Accepts the WebSocket as the middleware would (its checks already ran: <c>IsWebSocketRequest</c>), but keeps the
    /// upgraded stream: HTTP/1.1 upgrade (101 with Sec-WebSocket-Accept) or HTTP/2 extended CONNECT (200).
    /// </summary>
    public static async Task<RelayTransport> AcceptAsync(HttpContext http)
    {
        System.IO.Stream stream;
        if (http.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
            stream = await connect.AcceptAsync();
        else
        {
            var upgrade = http.Features.Get<IHttpUpgradeFeature>() ?? throw new InvalidOperationException("The server cannot upgrade this connection");
            var headers = http.Response.Headers;
            headers.Connection = "Upgrade";
            headers.Upgrade = "websocket";
            headers.SecWebSocketAccept = AcceptKey(http.Request.Headers.SecWebSocketKey.ToString());
            stream = await upgrade.UpgradeAsync(); // sends the 101
        }
        var transport = new RelayTransport(stream);
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
    public ValueTask WriteFramesAsync(ReadOnlyMemory<byte> frames) => _inner.WriteAsync(frames);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try { await _inner.WriteAsync(buffer, cancellationToken); }
        finally { _writing.Release(); }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

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
