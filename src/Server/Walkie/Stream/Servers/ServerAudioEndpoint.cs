using System.Net.WebSockets;
using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Federation.Transport;
using WalkieTalkie.Server.Matrix.Rooms;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Stream.Servers;

/// <summary>
/// GET /_matrix/federation/unstable/org.matrix.msc4002/audio (WebSocket, X-Matrix signed upgrade): another server's
/// audio frames in. Frames for rooms the origin has no joined member in are dropped; the rest go to <see cref="ServerAudio"/>.
/// </summary>
public static class ServerAudioEndpoint
{
    const int MaxMessage = 2 + 255 + 8 + AudioFrame.HeaderSize + 1 + 1_500 + 16;

    public static void MapServerAudio(this IEndpointRouteBuilder app) => app.MapGet(ServerAudio.Path, Handle);

    static async Task<IResult> Handle(HttpContext http, ServerAudio audio, IDocumentStore store, CancellationToken ct)
    {
        if (!http.WebSockets.IsWebSocketRequest)
            return MatrixError.Unrecognized("This endpoint is a WebSocket: send an Upgrade request", 400).ToResult();
        var origin = http.FederationOrigin();
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var reader = new WebSocketMessageReader(socket, MaxMessage);
        var members = new Dictionary<string, bool>();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var message = await reader.ReadAsync(ct);
                if (message.IsClose) break;
                if (message.TooLarge || message.Type != WebSocketMessageType.Binary || !ServerAudio.TryDecode(message.Span, out var roomId, out var epoch, out var frame)) continue;
                if (!members.TryGetValue(roomId, out var member))
                {
                    await using var session = store.QuerySession();
                    var room = await session.LoadAsync<RoomState>(roomId, ct);
                    members[roomId] = member = room is not null && FloorHost.HasJoinedMember(room, origin);
                }
                if (member) audio.RemoteFrame(origin, roomId, epoch, message.Span[frame]);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        return Results.Empty;
    }
}
