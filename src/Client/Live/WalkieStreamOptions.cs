namespace WalkieTalkie.Client.Live;

/// <summary>
/// Opens the WebSocket. The stream passes the full URI (with <c>access_token</c> in the query when so configured) and
/// the headers to send (<c>Authorization</c> otherwise). Tests hand in TestServer's or a loopback socket's connector.
/// </summary>
public delegate Task<WebSocket> WebSocketConnector(Uri uri, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken);

public sealed record WalkieStreamOptions
{
    /// <summary>Send the token as <c>?access_token=</c> instead of <c>Authorization: Bearer</c> (what browsers must do).</summary>
    public bool AccessTokenInQuery { get; init; }

    /// <summary>Replaces the default <see cref="ClientWebSocket"/> connect.</summary>
    public WebSocketConnector? Connector { get; init; }

    /// <summary>HTTP stack for the default connector's upgrade request (e.g. a SocketsHttpHandler with custom settings).</summary>
    public HttpMessageInvoker? Invoker { get; init; }

    /// <summary>WebSocket-level keep-alive of the default connector; a dead link is noticed instead of hanging.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Put received frames into <see cref="WalkieStream.Frames"/>; off when an <see cref="IStreamObserver"/> takes them all.</summary>
    public bool QueueReceivedFrames { get; init; } = true;

    /// <summary>Received audio frames buffered for a slow reader; beyond this the oldest are dropped (250 = 5 s of audio).</summary>
    public int ReceivedFrameCapacity { get; init; } = 250;

    /// <summary>How long <see cref="WalkieStream.SubscribeAsync"/> waits for <c>subscribed</c>.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a clean close waits for the server's close frame before aborting.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Stamps <see cref="ReceivedFrame.ReceivedAt"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>One relayed audio frame, already mapped from this connection's channel to its room.</summary>
public sealed record ReceivedFrame(string RoomId, ushort Channel, uint Epoch, uint Seq, ReadOnlyMemory<byte> Payload, DateTimeOffset ReceivedAt);

/// <summary>
/// Sees every received control message and frame inline, in wire order, from the receive loop (the two readers of
/// <see cref="WalkieStream"/> cannot say whether a <c>floor.idle</c> came before or after a frame). Must be quick and
/// must not throw.
/// </summary>
public interface IStreamObserver
{
    void OnMessage(ServerMessage message);
    void OnFrame(ReceivedFrame frame);
}

/// <summary>Where a <see cref="Talk.Talker"/> puts its frames: the stream in production, a recorder in tests.</summary>
public interface IAudioFrameSink
{
    /// <summary>Sends one frame of <paramref name="roomId"/>'s burst; the sink writes its own channel number for the room.</summary>
    ValueTask SendAudioAsync(string roomId, uint epoch, uint seq, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}

/// <summary>The stream could not be opened or used (the server refused the upgrade, or the connection is gone).</summary>
public sealed class WalkieStreamException(string message, Exception? inner = null) : Exception(message, inner);
