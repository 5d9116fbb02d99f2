using Microsoft.Extensions.Options;
using WalkieTalkie.Server.Federation.Transport;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// PUT /_matrix/federation/v2/send_join/{roomId}/{eventId} and /v2/send_leave/{roomId}/{eventId}: the resident server
/// checks the signed membership event like any PDU, stores it (which sends it on to the room's other servers) and, for a
/// join, answers the room's state before the join and its auth chain.
/// </summary>
public static class SendMembership
{
    public static void MapSendMembership(this RouteGroupBuilder federation)
    {
        federation.MapPut("/v2/send_join/{roomId}/{eventId}", (string roomId, string eventId, HttpContext http, PduVerifier verifier,
            RemoteEvents remote, IDocumentStore store, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
            Send(roomId, eventId, Memberships.Join, http, verifier, remote, store, matrix.Value.ServerName, ct));
        federation.MapPut("/v2/send_leave/{roomId}/{eventId}", (string roomId, string eventId, HttpContext http, PduVerifier verifier,
            RemoteEvents remote, IDocumentStore store, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
            Send(roomId, eventId, Memberships.Leave, http, verifier, remote, store, matrix.Value.ServerName, ct));
    }

    static async Task<IResult> Send(string roomId, string eventId, string membership, HttpContext http, PduVerifier verifier,
        RemoteEvents remote, IDocumentStore store, string serverName, CancellationToken ct)
    {
        var origin = http.FederationOrigin();
        var body = await MatrixBody.ReadObjectAsync(http.Request);
        if (await remote.RoomVersionAsync(roomId, ct) is not { } version) return MatrixError.NotFound("Unknown room").ToResult();
        var (pdu, error) = await verifier.VerifyAsync(body, version, ct);
        if (pdu is null) return MatrixError.BadJson(error!).ToResult();
        if (pdu.EventId != eventId) return MatrixError.BadJson("The event id does not match the event").ToResult();
        if (pdu.RoomId != roomId) return MatrixError.BadJson("The event is for another room").ToResult();
        var sender = pdu.Pdu["sender"]!.GetValue<string>();
        if (pdu.Type != EventTypes.Member || pdu.StateKey != sender || pdu.Pdu["content"]?["membership"]?.GetValue<string>() != membership)
            return MatrixError.BadJson($"Not a {membership} of its sender").ToResult();
        if (PduVerifier.ServerOf(sender) != origin) return MatrixError.Forbidden("The sender is not of the requesting server").ToResult();

        List<string> stateIds;
        await using (var before = store.QuerySession())
            stateIds = PduStore.StateIds(await RoomStates.LoadAsync(before, roomId, ct) ?? new RoomState()).ToList();
        if (await remote.AcceptAsync(pdu, ct, forwardFrom: origin) is { } rejected) return MatrixError.Forbidden(rejected).ToResult();
        if (membership == Memberships.Leave) return TypedResults.Ok(new { });

        await using var session = store.QuerySession();
        var state = (await PduStore.LoadAsync(session, stateIds, ct)).Values.OrderBy(p => p.Depth).ToList();
        var chain = await PduStore.AuthChainAsync(session, stateIds, ct);
        var room = await session.LoadAsync<RoomState>(roomId, ct);
        return Results.Json(new JsonObject
        {
            ["auth_chain"] = PduStore.Array(chain),
            ["event"] = pdu.Pdu.DeepClone(),
            ["members_omitted"] = false,
            ["origin"] = serverName,
            ["servers_in_room"] = new JsonArray(PduStore.JoinedServers(room!).Select(s => (JsonNode)s).ToArray()),
            ["state"] = PduStore.Array(state),
        });
    }
}
