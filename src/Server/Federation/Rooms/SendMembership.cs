namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// PUT /_matrix/federation/v2/send_join/{roomId}/{eventId} and /v2/send_leave/{roomId}/{eventId}: the resident server
/// checks the signed membership event like any PDU, stores it (which sends it on to the room's other servers) and, for a
/// join, answers the room's state before the join and its auth chain.
/// </summary>
public static class SendMembership
{
    /// <summary>send_join's answer: the state before the join and its auth chain, never partial (members_omitted: false).</summary>
    public sealed record JoinResponse(IReadOnlyList<JsonObject> AuthChain, JsonObject Event, bool MembersOmitted, string Origin,
        IReadOnlyList<string> ServersInRoom, IReadOnlyList<JsonObject> State);

    public static void MapSendMembership(this RouteGroupBuilder federation)
    {
        federation.MapPut("/v2/send_join/{roomId}/{eventId}", (string roomId, string eventId, HttpContext http, PduVerifier verifier,
            RemoteEvents remote, IDocumentStore store, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
            Send(roomId, eventId, Memberships.Join, http, verifier, remote, store, matrix.Value.ServerName, ct));
        federation.MapPut("/v2/send_leave/{roomId}/{eventId}", (string roomId, string eventId, HttpContext http, PduVerifier verifier,
            RemoteEvents remote, IDocumentStore store, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
            Send(roomId, eventId, Memberships.Leave, http, verifier, remote, store, matrix.Value.ServerName, ct));
    }

    static async Task<Results<Ok<JoinResponse>, Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Send(string roomId, string eventId,
        string membership, HttpContext http, PduVerifier verifier, RemoteEvents remote, IDocumentStore store, string serverName, CancellationToken ct)
    {
        var origin = http.FederationOrigin();
        var body = await MatrixBody.ReadObjectAsync(http.Request);
        if (await remote.RoomVersionAsync(roomId, ct) is not { } version) return MatrixError.NotFound("Unknown room").ToTypedResult();
        var (pdu, error) = await verifier.VerifyAsync(body, version, ct);
        if (pdu is null) return MatrixError.BadJson(error!).ToTypedResult();
        if (pdu.EventId != eventId) return MatrixError.BadJson("The event id does not match the event").ToTypedResult();
        if (pdu.RoomId != roomId) return MatrixError.BadJson("The event is for another room").ToTypedResult();
        var sender = pdu.Pdu["sender"]!.GetValue<string>();
        if (pdu.Type != EventTypes.Member || pdu.StateKey != sender || pdu.Pdu["content"]?["membership"]?.GetValue<string>() != membership)
            return MatrixError.BadJson($"Not a {membership} of its sender").ToTypedResult();
        if (PduVerifier.ServerOf(sender) != origin) return MatrixError.Forbidden("The sender is not of the requesting server").ToTypedResult();

        List<string> stateIds;
        await using (var before = store.QuerySession())
            stateIds = PduStore.StateIds(await RoomStates.LoadAsync(before, roomId, ct) ?? new RoomState()).ToList();
        if (await remote.AcceptAsync(pdu, ct, forwardFrom: origin) is { } rejected) return MatrixError.Forbidden(rejected).ToTypedResult();
        if (membership == Memberships.Leave) return TypedResults.Ok(EmptyResponse.Instance);

        await using var session = store.QuerySession();
        var state = (await PduStore.LoadAsync(session, stateIds, ct)).Values.OrderBy(p => p.Depth);
        var chain = await PduStore.AuthChainAsync(session, stateIds, ct);
        var room = await session.LoadAsync<RoomState>(roomId, ct);
        return TypedResults.Ok(new JoinResponse(PduStore.Objects(chain), (JsonObject)pdu.Pdu.DeepClone(), MembersOmitted: false, serverName,
            PduStore.JoinedServers(room!), PduStore.Objects(state)));
    }
}
