namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>GET /joined_rooms: the rooms the caller is joined to.</summary>
public static class GetJoinedRooms
{
    public sealed record Response(IReadOnlyList<string> JoinedRooms);

    public static void MapGetJoinedRooms(this RouteGroupBuilder v3) =>
        v3.MapGet("/joined_rooms", Handle).RequireAccessToken();

    static async Task<Ok<Response>> Handle(HttpContext http, IQuerySession q, CancellationToken ct)
    {
        var user = http.Device().UserId;
        var rooms = await q.Query<RoomMember>().Where(m => m.UserId == user && m.Membership == Memberships.Join)
            .Select(m => m.RoomId).ToListAsync(ct);
        return TypedResults.Ok(new Response(rooms));
    }
}
