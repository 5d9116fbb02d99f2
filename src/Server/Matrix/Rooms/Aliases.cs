namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>A room alias (Marten document, id = "#alias:server").</summary>
public sealed record RoomAlias(string Id, string RoomId, string CreatedBy);

/// <summary>GET/PUT/DELETE /directory/room/{roomAlias}.</summary>
public static class Aliases
{
    public sealed record SetAliasRequest(string? RoomId) : IMatrixRequest<SetAliasRequest>;

    /// <summary>GET: the room and the servers to join it through (this one: aliases here are local).</summary>
    public sealed record ResolveResponse(string RoomId, string[] Servers);

    public static void MapAliases(this RouteGroupBuilder v3)
    {
        v3.MapGet("/directory/room/{roomAlias}", Resolve);
        v3.MapPut("/directory/room/{roomAlias}", Put).RequireAccessToken();
        v3.MapDelete("/directory/room/{roomAlias}", Delete).RequireAccessToken();
    }

    static async Task<Results<Ok<ResolveResponse>, JsonHttpResult<MatrixError>>> Resolve(string roomAlias, IQuerySession query,
        IOptions<MatrixOptions> matrix, CancellationToken ct) =>
        await query.LoadAsync<RoomAlias>(roomAlias, ct) is { } alias
            ? TypedResults.Ok(new ResolveResponse(alias.RoomId, [matrix.Value.ServerName]))
            : MatrixError.NotFound($"Room alias {roomAlias} not found").ToTypedResult();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Put(string roomAlias, SetAliasRequest body, HttpContext http,
        IQuerySession query, IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        if (body.RoomId is not { } roomId) return MatrixError.BadJson("`room_id` must be a string").ToTypedResult();
        if (!roomAlias.StartsWith('#') || !roomAlias.EndsWith(":" + matrix.Value.ServerName))
            return MatrixError.InvalidParam("Alias must be #name:" + matrix.Value.ServerName).ToTypedResult();
        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is null || !room.Exists) return MatrixError.NotFound("Unknown room").ToTypedResult();
        if (!room.IsJoined(http.Device().UserId)) return MatrixError.Forbidden("You are not joined to this room").ToTypedResult();
        if (await query.LoadAsync<RoomAlias>(roomAlias, ct) is not null)
            return new MatrixError("M_UNKNOWN", "Room alias already exists") { Status = 409 }.ToTypedResult();
        await SetAsync(query, roomAlias, roomId, http.Device().UserId, ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Delete(string roomAlias, HttpContext http, IDocumentSession session,
        CancellationToken ct)
    {
        if (await session.LoadAsync<RoomAlias>(roomAlias, ct) is not { } alias) return MatrixError.NotFound("Unknown alias").ToTypedResult();
        var room = await session.LoadAsync<RoomState>(alias.RoomId, ct);
        var user = http.Device().UserId;
        var levels = room?.PowerLevels;
        if (alias.CreatedBy != user && (levels is null || levels.Of(user) < levels.ToSend(EventTypes.CanonicalAlias, true)))
            return MatrixError.Forbidden("You may not delete this alias").ToTypedResult();
        session.Delete<RoomAlias>(roomAlias);
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }

    public static async Task SetAsync(IQuerySession query, string alias, string roomId, string userId, CancellationToken ct)
    {
        await using var session = query.DocumentStore.LightweightSession();
        session.Insert(new RoomAlias(alias, roomId, userId));
        await session.SaveChangesAsync(ct);
    }

    public static async Task<string?> ResolveAsync(IQuerySession query, string roomIdOrAlias, CancellationToken ct) =>
        roomIdOrAlias.StartsWith('#') ? (await query.LoadAsync<RoomAlias>(roomIdOrAlias, ct))?.RoomId : roomIdOrAlias;
}
