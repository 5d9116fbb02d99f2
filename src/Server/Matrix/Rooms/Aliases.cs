namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>A room alias (Marten document, id = "#alias:server").</summary>
public sealed record RoomAlias(string Id, string RoomId, string CreatedBy);

/// <summary>GET/PUT/DELETE /directory/room/{roomAlias}.</summary>
public static class Aliases
{
    public sealed record SetAliasRequest(string? RoomId) : IMatrixRequest<SetAliasRequest>;

    public static void MapAliases(this RouteGroupBuilder v3)
    {
        v3.MapGet("/directory/room/{roomAlias}", async (string roomAlias, IQuerySession query, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
            await query.LoadAsync<RoomAlias>(roomAlias, ct) is { } alias
                ? TypedResults.Ok(new { room_id = alias.RoomId, servers = new[] { matrix.Value.ServerName } })
                : MatrixError.NotFound($"Room alias {roomAlias} not found").ToResult());

        v3.MapPut("/directory/room/{roomAlias}", async (string roomAlias, SetAliasRequest body, HttpContext http, RoomWriter writer, IQuerySession query,
            IOptions<MatrixOptions> matrix, CancellationToken ct) =>
        {
            if (body.RoomId is not { } roomId) return MatrixError.BadJson("`room_id` must be a string").ToResult();
            if (!roomAlias.StartsWith('#') || !roomAlias.EndsWith(":" + matrix.Value.ServerName))
                return MatrixError.InvalidParam("Alias must be #name:" + matrix.Value.ServerName).ToResult();
            var room = await query.LoadAsync<RoomState>(roomId, ct);
            if (room is null || !room.Exists) return MatrixError.NotFound("Unknown room").ToResult();
            if (!room.IsJoined(http.Device().UserId)) return MatrixError.Forbidden("You are not joined to this room").ToResult();
            if (await query.LoadAsync<RoomAlias>(roomAlias, ct) is not null)
                return new MatrixError("M_UNKNOWN", "Room alias already exists") { Status = 409 }.ToResult();
            await SetAsync(query, roomAlias, roomId, http.Device().UserId, ct);
            return TypedResults.Ok(new { });
        }).RequireAccessToken();

        v3.MapDelete("/directory/room/{roomAlias}", async (string roomAlias, HttpContext http, IDocumentSession session, CancellationToken ct) =>
        {
            if (await session.LoadAsync<RoomAlias>(roomAlias, ct) is not { } alias) return MatrixError.NotFound("Unknown alias").ToResult();
            var room = await session.LoadAsync<RoomState>(alias.RoomId, ct);
            var user = http.Device().UserId;
            var levels = room?.PowerLevels;
            if (alias.CreatedBy != user && (levels is null || levels.Of(user) < levels.ToSend(EventTypes.CanonicalAlias, true)))
                return MatrixError.Forbidden("You may not delete this alias").ToResult();
            session.Delete<RoomAlias>(roomAlias);
            await session.SaveChangesAsync(ct);
            return TypedResults.Ok(new { });
        }).RequireAccessToken();
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
