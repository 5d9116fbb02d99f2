namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// GET /_matrix/federation/v1/make_join/{roomId}/{userId} and /v1/make_leave/{roomId}/{userId}: the resident server
/// answers an unsigned membership event template (auth events, prev events, depth) and the room version.
/// </summary>
public static class MakeMembership
{
    /// <summary>The template to sign (without hashes) and the room's version.</summary>
    public sealed record Response(JsonObject Event, string RoomVersion);

    public static void MapMakeMembership(this RouteGroupBuilder federation)
    {
        federation.MapGet("/v1/make_join/{roomId}/{userId}", (string roomId, string userId, HttpContext http, IQuerySession q,
            TimeProvider clock, CancellationToken ct) => Make(roomId, userId, Memberships.Join, http, q, clock, ct));
        federation.MapGet("/v1/make_leave/{roomId}/{userId}", (string roomId, string userId, HttpContext http, IQuerySession q,
            TimeProvider clock, CancellationToken ct) => Make(roomId, userId, Memberships.Leave, http, q, clock, ct));
    }

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Make(string roomId,
        string userId, string membership, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var origin = http.FederationOrigin();
        if (!MatrixIds.TryParseUserId(userId, out _, out var userServer)) return MatrixError.InvalidParam("Not a user id").ToTypedResult();
        if (userServer != origin) return MatrixError.Forbidden("The user is not of the requesting server").ToTypedResult();
        var state = await q.LoadAsync<RoomState>(roomId, ct);
        var dag = await q.LoadAsync<RoomDag>(roomId, ct);
        if (state is null || !state.Exists || dag is null) return MatrixError.NotFound("Unknown room").ToTypedResult();

        if (membership == Memberships.Join)
        {
            // Without `ver` the joining server supports only room version 1.
            var versions = http.Request.Query["ver"].Select(v => v ?? "").ToList();
            if (!versions.Contains(dag.RoomVersion))
                return FederationErrors.IncompatibleRoomVersion($"The room has version {dag.RoomVersion}", dag.RoomVersion).ToTypedResult();
        }

        var content = new JsonObject { ["membership"] = membership };
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var probe = new RoomEvent("$template", roomId, userId, EventTypes.Member, userId, content.ToJsonString(), now);
        if (RoomAuth.Check(state, probe, onlyCreateBefore: false) is { } reason) return MatrixError.Forbidden(reason).ToTypedResult();

        var template = PduFactory.Create(origin, state, dag, roomId, userId, EventTypes.Member, userId, content, null, now);
        template.Remove("hashes");
        return TypedResults.Ok(new Response(template, dag.RoomVersion));
    }
}
