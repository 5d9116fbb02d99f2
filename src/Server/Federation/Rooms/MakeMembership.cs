using Microsoft.Extensions.Options;
using WalkieTalkie.Server.Federation.Transport;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// GET /_matrix/federation/v1/make_join/{roomId}/{userId} and /v1/make_leave/{roomId}/{userId}: the resident server
/// answers an unsigned membership event template (auth events, prev events, depth) and the room version.
/// </summary>
public static class MakeMembership
{
    public static void MapMakeMembership(this RouteGroupBuilder federation)
    {
        federation.MapGet("/v1/make_join/{roomId}/{userId}", (string roomId, string userId, HttpContext http, IQuerySession q,
            TimeProvider clock, CancellationToken ct) => Make(roomId, userId, Memberships.Join, http, q, clock, ct));
        federation.MapGet("/v1/make_leave/{roomId}/{userId}", (string roomId, string userId, HttpContext http, IQuerySession q,
            TimeProvider clock, CancellationToken ct) => Make(roomId, userId, Memberships.Leave, http, q, clock, ct));
    }

    static async Task<IResult> Make(string roomId, string userId, string membership, HttpContext http, IQuerySession q, TimeProvider clock,
        CancellationToken ct)
    {
        var origin = http.FederationOrigin();
        if (!MatrixIds.TryParseUserId(userId, out _, out var userServer)) return MatrixError.InvalidParam("Not a user id").ToResult();
        if (userServer != origin) return MatrixError.Forbidden("The user is not of the requesting server").ToResult();
        var state = await q.LoadAsync<RoomState>(roomId, ct);
        var dag = await q.LoadAsync<RoomDag>(roomId, ct);
        if (state is null || !state.Exists || dag is null) return MatrixError.NotFound("Unknown room").ToResult();

        if (membership == Memberships.Join)
        {
            // Without `ver` the joining server supports only room version 1.
            var versions = http.Request.Query["ver"].Select(v => v ?? "").ToList();
            if (!versions.Contains(dag.RoomVersion))
                return Results.Json(new { errcode = "M_INCOMPATIBLE_ROOM_VERSION", error = $"The room has version {dag.RoomVersion}", room_version = dag.RoomVersion },
                    statusCode: 400);
        }

        var content = new JsonObject { ["membership"] = membership };
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var probe = new RoomEvent("$template", roomId, userId, EventTypes.Member, userId, content.ToJsonString(), now);
        if (RoomAuth.Check(state, probe, onlyCreateBefore: false) is { } reason) return MatrixError.Forbidden(reason).ToResult();

        var template = PduFactory.Create(origin, state, dag, roomId, userId, EventTypes.Member, userId, content, null, now);
        template.Remove("hashes");
        return Results.Json(new JsonObject { ["event"] = template, ["room_version"] = dag.RoomVersion });
    }
}
