using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace WalkieTalkie.Protocol;

/// <summary>One whole WebSocket message: its type and bytes (valid until the next read), or that it was too large.</summary>
public readonly record struct WebSocketMessage(WebSocketMessageType Type, ReadOnlyMemory<byte> Data, bool TooLarge)
{
    public bool IsClose => Type == WebSocketMessageType.Close;
    public ReadOnlySpan<byte> Span => Data.Span;
}

/// <summary>
/// Reads whole messages from a WebSocket into a pooled buffer, never holding more than <c>maxMessageBytes</c>: a longer
/// message is read to its end and reported as <see cref="WebSocketMessage.TooLarge"/> with no data. The buffer starts at
/// <c>initialBytes</c> and grows for a long message only; the next read gives the large buffer back, so an idle
/// connection holds just the small one. One reader per socket, one read at a time.
/// </summary>
public sealed class WebSocketMessageReader(WebSocket socket, int maxMessageBytes, int initialBytes = 4096) : IDisposable
{
    readonly int _initial = Math.Min(initialBytes, maxMessageBytes + 1);
    byte[]? _small;
    byte[]? _large;

    public int MaxMessageBytes { get; } = maxMessageBytes;

    /// <summary>
    /// The next whole message. A read usually waits for the peer, so it completes asynchronously; the pooling builder
    /// reuses its state machine instead of allocating one per message (one message per 20 ms audio frame). Await the
    /// result once, as every caller does.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<WebSocketMessage> ReadAsync(CancellationToken ct)
    {
        ReturnLarge();
        var buffer = _small ??= ArrayPool<byte>.Shared.Rent(_initial);
        var length = 0;
        var tooLarge = false;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == buffer.Length)
            {
                if (length > MaxMessageBytes)
                {
                    tooLarge = true; // keep reading to the end of the message, drop it
                    length = 0;
                }
                else
                {
                    var grown = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxMessageBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ReturnLarge();
                    buffer = _large = grown;
                }
            }
            result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            length += result.Count;
        } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

        tooLarge |= length > MaxMessageBytes;
        return tooLarge
            ? new WebSocketMessage(result.MessageType, ReadOnlyMemory<byte>.Empty, true)
            : new WebSocketMessage(result.MessageType, buffer.AsMemory(0, length), false);
    }

    void ReturnLarge()
    {
        if (_large is null) return;
        ArrayPool<byte>.Shared.Return(_large);
        _large = null;
    }

    public void Dispose()
    {
        ReturnLarge();
        if (_small is not null) ArrayPool<byte>.Shared.Return(_small);
        _small = null;
    }
}
