using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>
/// POST /join/{roomIdOrAlias} and POST /rooms/{roomId}/join: joins here, or through a server in the room (`server_name`,
/// `via`, the alias's servers) when this one is not.
/// </summary>
public static class JoinRoom
{
    /// <summary>An optional reason; the body may be empty.</summary>
    public sealed record Request(string? Reason) : IMatrixRequest<Request>
    {
        public static bool EmptyIsObject => true;
    }

    /// <summary>The room joined, by id.</summary>
    public sealed record Response(string RoomId);

    public static void MapJoinRoom(this RouteGroupBuilder v3)
    {
        v3.MapPost("/join/{roomIdOrAlias}", Handle).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/join", Handle).RequireAccessToken();
    }

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(Request body, HttpContext http, RoomWriter writer, IQuerySession query, RemoteJoin remote,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        var target = (string)(http.Request.RouteValues["roomIdOrAlias"] ?? http.Request.RouteValues["roomId"])!;
        var user = http.Device().UserId;
        if (!MatrixIds.IsRoomIdOrAlias(target)) return MatrixError.InvalidParam($"{target} is not a room id or alias").ToTypedResult();
        var own = matrix.Value.ServerName;
        // `server_name` (and its newer name `via`) lists residents to ask when the room lives elsewhere.
        var servers = http.Request.Query["server_name"].Concat(http.Request.Query["via"]).OfType<string>().ToList();
        string? roomId;
        if (target.StartsWith('#') && PduVerifier.ServerOf(target) != own)
        {
            var (resolved, aliasServers) = await remote.ResolveAliasAsync(target, ct);
            (roomId, servers) = (resolved, [.. aliasServers, .. servers]);
        }
        else roomId = await RoomAlias.ResolveAsync(query, target, ct);
        if (roomId is null) return MatrixError.NotFound($"Room {target} not found").ToTypedResult();

        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is not null && room.IsJoined(user)) return TypedResults.Ok(new Response(roomId));
        var account = await query.LoadAsync<UserAccount>(user, ct);
        var content = CreateRoom.MemberContent(Memberships.Join, account);
        if (body.Reason is { } reason) content["reason"] = reason;

        // Not resident (no joined member here): a server in the room hands out the join.
        var resident = room is not null && room.Exists && PduStore.JoinedServers(room).Contains(own);
        if (!resident && (PduVerifier.ServerOf(roomId) != own || servers.Count > 0))
        {
            await remote.JoinAsync(roomId, user, content, servers, ct);
            return TypedResults.Ok(new Response(roomId));
        }
        if (room is null || !room.Exists) return MatrixError.NotFound($"Room {target} not found").ToTypedResult();
        // An invite flagged is_direct keeps the flag on the join.
        await writer.AppendAsync(roomId, state => [new RoomEventDraft(user, EventTypes.Member, user, content)], ct);
        return TypedResults.Ok(new Response(roomId));
    }
}
