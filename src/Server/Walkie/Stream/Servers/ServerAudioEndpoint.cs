using System.Net.WebSockets;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Server.Walkie.Stream.Servers;

/// <summary>
/// GET /_matrix/federation/unstable/org.matrix.msc4002/audio (WebSocket, X-Matrix signed upgrade): another server's
/// audio frames in, each handed to <see cref="ServerAudio"/>, which takes it only from the server that may send it now
/// (the holder's at the floor host, the floor host elsewhere; both have a joined member).
/// </summary>
public static class ServerAudioEndpoint
{
    const int MaxMessage = 2 + 255 + 8 + AudioFrame.HeaderSize + 1 + 1_500 + 16;

    public static void MapServerAudio(this IEndpointRouteBuilder app) => app.MapGet(ServerAudio.Path, Handle);

    static async Task<Results<EmptyHttpResult, JsonHttpResult<MatrixError>>> Handle(HttpContext http, ServerAudio audio, CancellationToken ct)
    {
        if (!http.WebSockets.IsWebSocketRequest)
            return MatrixError.Unrecognized("This endpoint is a WebSocket: send an Upgrade request", 400).ToTypedResult();
        var origin = http.FederationOrigin();
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var reader = new WebSocketMessageReader(socket, MaxMessage);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var message = await reader.ReadAsync(ct);
                if (message.IsClose) break;
                if (message.TooLarge || message.Type != WebSocketMessageType.Binary || !ServerAudio.TryDecode(message.Span, out var roomId, out var epoch, out var frame)) continue;
                audio.RemoteFrame(origin, roomId, epoch, message.Span[frame]);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        return TypedResults.Empty;
    }
}
