namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>GET /_matrix/federation/v1/query/directory?room_alias=: a local alias's room and the servers in it.</summary>
public static class QueryDirectory
{
    public sealed record Response(string RoomId, IReadOnlyList<string> Servers);

    public static void MapQueryDirectory(this RouteGroupBuilder federation) => federation.MapGet("/v1/query/directory", Handle);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, IQuerySession q, IOptions<MatrixOptions> matrix,
        CancellationToken ct)
    {
        var alias = http.Request.Query["room_alias"].ToString();
        if (alias.Length == 0) return MatrixError.MissingParam("room_alias is required").ToTypedResult();
        if (await q.LoadAsync<RoomAlias>(alias, ct) is not { } found) return MatrixError.NotFound($"Room alias {alias} not found").ToTypedResult();
        var room = await q.LoadAsync<RoomState>(found.RoomId, ct);
        var servers = room is null ? [matrix.Value.ServerName] : PduStore.JoinedServers(room).ToList();
        // This server first: it holds the alias and is surely in the room.
        servers.Remove(matrix.Value.ServerName);
        servers.Insert(0, matrix.Value.ServerName);
        return TypedResults.Ok(new Response(found.RoomId, servers));
    }
}
