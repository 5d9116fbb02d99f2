using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace WalkieTalkie.Protocol.Tests;

/// <summary>The one bounded message reader, over a real WebSocket on loopback TCP.</summary>
public sealed class WebSocketMessageReaderTests : IAsyncLifetime
{
    TcpListener _listener = null!;
    TcpClient _client = null!, _accepted = null!;
    WebSocket _sender = null!, _receiver = null!;

    public async Task InitializeAsync()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _client = new TcpClient();
        var accepting = _listener.AcceptTcpClientAsync();
        await _client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        _accepted = await accepting;
        _sender = WebSocket.CreateFromStream(_client.GetStream(), new WebSocketCreationOptions { IsServer = false });
        _receiver = WebSocket.CreateFromStream(_accepted.GetStream(), new WebSocketCreationOptions { IsServer = true });
    }

    public Task DisposeAsync()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _client.Dispose();
        _accepted.Dispose();
        _listener.Stop();
        return Task.CompletedTask;
    }

    static byte[] Bytes(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();
    // Text messages must be UTF-8: letters only.
    static byte[] Letters(int length) => Enumerable.Range(0, length).Select(i => (byte)('a' + i % 26)).ToArray();

    [Fact]
    public async Task Messages_in_many_fragments_up_to_the_limit_arrive_whole_and_longer_ones_are_dropped_to_their_end()
    {
        using var reader = new WebSocketMessageReader(_receiver, maxMessageBytes: 10_000, initialBytes: 64);
        var fitting = Bytes(10_000, 1);
        var tooLong = Letters(10_001);
        var after = Letters(5);

        // The sender fragments: 100-byte pieces, so the reader sees many partial receives and grows its buffer.
        foreach (var (message, type) in new[] { (fitting, WebSocketMessageType.Binary), (tooLong, WebSocketMessageType.Text), (after, WebSocketMessageType.Text) })
            for (var offset = 0; offset < message.Length; offset += 100)
                await _sender.SendAsync(message.AsMemory(offset, Math.Min(100, message.Length - offset)), type,
                    endOfMessage: offset + 100 >= message.Length, CancellationToken.None);
        await _sender.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

        var first = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal((WebSocketMessageType.Binary, false), (first.Type, first.TooLarge));
        Assert.Equal(fitting, first.Data.ToArray());

        var second = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal((WebSocketMessageType.Text, true, 0), (second.Type, second.TooLarge, second.Data.Length));

        var third = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(after, third.Data.ToArray());

        Assert.True((await reader.ReadAsync(CancellationToken.None)).IsClose);
    }
}
