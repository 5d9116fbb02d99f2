namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// GET /_matrix/federation/v1/state/{roomId}?event_id= and /v1/state_ids/{roomId}?event_id=: the room's state before an
/// event and its auth chain, as PDUs or as event ids.
/// </summary>
public static class GetState
{
    public sealed record Response(IReadOnlyList<JsonObject> AuthChain, IReadOnlyList<JsonObject> Pdus);

    public sealed record IdsResponse(IReadOnlyList<string> AuthChainIds, IReadOnlyList<string> PduIds);

    public static void MapGetState(this RouteGroupBuilder federation)
    {
        federation.MapGet("/v1/state/{roomId}", State);
        federation.MapGet("/v1/state_ids/{roomId}", StateIds);
    }

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> State(string roomId, HttpContext http, IQuerySession q, CancellationToken ct)
    {
        var (stateIds, chain, error) = await StateBeforeAsync(roomId, http, q, ct);
        if (error is not null) return error.ToTypedResult();
        var pdus = (await PduStore.LoadAsync(q, stateIds, ct)).Values.OrderBy(p => p.Depth);
        return TypedResults.Ok(new Response(PduStore.Objects(chain), PduStore.Objects(pdus)));
    }

    static async Task<Results<Ok<IdsResponse>, JsonHttpResult<MatrixError>>> StateIds(string roomId, HttpContext http, IQuerySession q, CancellationToken ct)
    {
        var (stateIds, chain, error) = await StateBeforeAsync(roomId, http, q, ct);
        if (error is not null) return error.ToTypedResult();
        return TypedResults.Ok(new IdsResponse(chain.Select(p => p.Id).ToList(), stateIds));
    }

    /// <summary>The state event ids before `event_id` and their auth chain, or why not.</summary>
    static async Task<(List<string> StateIds, List<StoredPdu> AuthChain, MatrixError? Error)> StateBeforeAsync(string roomId, HttpContext http,
        IQuerySession q, CancellationToken ct)
    {
        if (await RoomReads.RefusalAsync(q, roomId, http, ct) is { } refusal) return ([], [], refusal);
        var eventId = http.Request.Query["event_id"].ToString();
        if (eventId.Length == 0) return ([], [], MatrixError.MissingParam("event_id is required"));
        if (await PduStore.StateBeforeAsync(q, roomId, eventId, ct) is not { } before) return ([], [], MatrixError.NotFound("Unknown event"));
        var stateIds = PduStore.StateIds(before).ToList();
        return (stateIds, await PduStore.AuthChainAsync(q, stateIds, ct), null);
    }
}
