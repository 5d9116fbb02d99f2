namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>GET /directory/room/{roomAlias}: the room and the servers to join it through (this one: aliases here are local).</summary>
public static class GetRoomIdByAlias
{
    public sealed record Response(string RoomId, string[] Servers);

    public static void MapGetRoomIdByAlias(this RouteGroupBuilder v3) => v3.MapGet("/directory/room/{roomAlias}", Handle);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(string roomAlias, IQuerySession query,
        IOptions<MatrixOptions> matrix, CancellationToken ct) =>
        await query.LoadAsync<RoomAlias>(roomAlias, ct) is { } alias
            ? TypedResults.Ok(new Response(alias.RoomId, [matrix.Value.ServerName]))
            : MatrixError.NotFound($"Room alias {roomAlias} not found").ToTypedResult();
}
