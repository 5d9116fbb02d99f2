using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Floor;
using WalkieTalkie.Server.Walkie.Stream.Relay;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// GET $P/stream: the device's live-audio WebSocket, opened on demand. JSON control messages both ways, binary audio
/// frames relayed only from the floor holder. The server sends nothing unasked on an idle connection (no pings).
/// </summary>
public static class StreamEndpoint
{
    public static void MapStream(this RouteGroupBuilder msc4002) => msc4002.MapGet("/stream", Handle);

    static async Task<Results<EmptyHttpResult, JsonHttpResult<MatrixError>>> Handle(HttpContext http, StreamHub hub, FloorControl floor,
        IOptions<StreamOptions> options, TimeProvider clock, ILogger<StreamHub> logger)
    {
        if (!http.WebSockets.IsWebSocketRequest)
            return MatrixError.Unrecognized("This endpoint is a WebSocket: send an Upgrade request", 400).ToTypedResult();

        await using var transport = await RelayTransport.AcceptAsync(http, options.Value.WriteToSocket);
        using var socket = transport.Socket;
        var connection = new StreamConnection(http.Device(), transport, options.Value, clock);
        hub.Attach(connection);
        logger.LogInformation("Stream opened by {Device}", connection.Device);
        try
        {
            await connection.RunAsync((c, message) => OnControlAsync(c, message, hub, floor, http.RequestAborted), hub.Relay,
                http.RequestAborted);
        }
        finally
        {
            hub.Detach(connection);
            logger.LogInformation("Stream of {Device} closed: {Relayed} frames sent to it, {Dropped} dropped (slow), {Invalid} invalid from it",
                connection.Device, connection.FramesSent, connection.AudioDropped, connection.InvalidFrames);
        }
        return TypedResults.Empty;
    }

    static async Task OnControlAsync(StreamConnection connection, ClientMessage message, StreamHub hub, FloorControl floor, CancellationToken ct)
    {
        try
        {
            switch (message)
            {
                case ClientMessage.Ping:
                    connection.Send(StreamMessages.Pong());
                    break;
                case ClientMessage.Subscribe subscribe:
                    var before = connection.Rooms.Keys.ToHashSet();
                    var refused = await hub.SubscribeAsync(connection, subscribe.Rooms, ct);
                    foreach (var (room, error) in refused) connection.Send(StreamMessages.Error(error.ErrCode, error.Error, room));
                    connection.Send(StreamMessages.Subscribed(StreamHub.Channels(connection)));
                    hub.StartListening(connection, connection.Rooms.Keys.Where(r => !before.Contains(r)));
                    break;
                case ClientMessage.FloorRequest request:
                    var roomId = request.RoomId;
                    var outcome = await floor.HandleAsync(new FloorCommand.Request(roomId, connection.Device, request.Priority), ct);
                    // New events reach the device through the floor change feed; a request that changed nothing is answered here.
                    if (!outcome.Changed)
                        connection.Send(outcome switch
                        {
                            FloorOutcome.Granted g => StreamMessages.Granted(roomId, g.Epoch, g.ExpiresAt),
                            FloorOutcome.Queued q => StreamMessages.Queued(roomId, q.Position),
                            FloorOutcome.Denied d => StreamMessages.Denied(roomId, WalkieErrorCodes.FloorTaken, d.Reason.ToWire(), d.Holder),
                            var other => StreamMessages.Error(ProtocolErrors.Unknown, $"Unexpected outcome {other}", roomId),
                        });
                    break;
                case ClientMessage.FloorRelease release:
                    await floor.HandleAsync(new FloorCommand.Release(release.RoomId, connection.Device, release.Epoch), ct);
                    break;
            }
        }
        catch (MatrixException e) when (message is ClientMessage.FloorRequest request)
        {
            connection.Send(StreamMessages.Denied(request.RoomId, e.MatrixError.ErrCode, e.MatrixError.Error));
        }
        catch (MatrixException e)
        {
            connection.Send(StreamMessages.Error(e.MatrixError.ErrCode, e.MatrixError.Error, (message as ClientMessage.FloorRelease)?.RoomId));
        }
    }
}
