using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Infrastructure.Auth;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// GET $P/stream: the device's live-audio WebSocket, opened on demand. JSON control messages both ways, binary audio
/// frames relayed only from the floor holder. The server sends nothing unasked on an idle connection (no pings).
/// </summary>
public static class StreamEndpoint
{
    public static void MapStream(this RouteGroupBuilder msc4002) => msc4002.MapGet("/stream", Handle);

    static async Task<IResult> Handle(HttpContext http, StreamHub hub, FloorControl floor, IOptions<StreamOptions> options,
        TimeProvider clock, ILogger<StreamHub> logger)
    {
        if (!http.WebSockets.IsWebSocketRequest)
            return MatrixError.Unrecognized("This endpoint is a WebSocket: send an Upgrade request", 400).ToResult();

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var connection = new StreamConnection(http.Device(), socket, options.Value, clock);
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
        return Results.Empty;
    }

    static async Task OnControlAsync(StreamConnection connection, JsonObject message, StreamHub hub, FloorControl floor, CancellationToken ct)
    {
        var type = message.String("type");
        var roomId = message.String("room_id");
        try
        {
            switch (type)
            {
                case "ping":
                    connection.Send(StreamMessages.Pong());
                    break;
                case "subscribe":
                    var rooms = message["rooms"] is JsonArray array && array.All(r => r is JsonValue v && v.TryGetValue<string>(out _))
                        ? array.Select(r => r!.GetValue<string>()).ToList()
                        : throw new MatrixException(MatrixError.BadJson("`rooms` must be a list of room ids"));
                    var before = connection.Rooms.Keys.ToHashSet();
                    var refused = await hub.SubscribeAsync(connection, rooms, ct);
                    foreach (var (room, error) in refused) connection.Send(StreamMessages.Error(error.ErrCode, error.Error, room));
                    connection.Send(StreamMessages.Subscribed(StreamHub.Channels(connection)));
                    hub.StartListening(connection, connection.Rooms.Keys.Where(r => !before.Contains(r)));
                    break;
                case "floor.request":
                    if (roomId is null) throw new MatrixException(MatrixError.BadJson("`room_id` is required"));
                    var outcome = await floor.HandleAsync(new FloorCommand.Request(roomId, connection.Device, FloorPriorities.Parse(message)), ct);
                    // New events reach the device through the floor change feed; a request that changed nothing is answered here.
                    if (!outcome.Changed)
                        connection.Send(outcome switch
                        {
                            FloorOutcome.Granted g => StreamMessages.Granted(roomId, g.Epoch, g.ExpiresAt),
                            FloorOutcome.Queued q => StreamMessages.Queued(roomId, q.Position),
                            FloorOutcome.Denied d => StreamMessages.Denied(roomId, WalkieErrors.FloorTakenCode, d.Reason.ToWire(), d.Holder),
                            var other => StreamMessages.Error("M_UNKNOWN", $"Unexpected outcome {other}", roomId),
                        });
                    break;
                case "floor.release":
                    if (roomId is null) throw new MatrixException(MatrixError.BadJson("`room_id` is required"));
                    await floor.HandleAsync(new FloorCommand.Release(roomId, connection.Device, ReleaseFloorEndpoint.ParseEpoch(message)), ct);
                    break;
                default:
                    connection.Send(StreamMessages.Error("M_UNRECOGNIZED", $"Unknown message type {type}"));
                    break;
            }
        }
        catch (MatrixException e) when (type == "floor.request" && roomId is not null)
        {
            connection.Send(StreamMessages.Denied(roomId, e.MatrixError.ErrCode, e.MatrixError.Error));
        }
        catch (MatrixException e)
        {
            connection.Send(StreamMessages.Error(e.MatrixError.ErrCode, e.MatrixError.Error, roomId));
        }
    }
}
