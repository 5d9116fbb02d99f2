namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>Reading rooms: state, members, joined members, one event, joined rooms.</summary>
public static class ReadRoom
{
    public static void MapReadRoom(this RouteGroupBuilder v3)
    {
        v3.MapGet("/rooms/{roomId}/state/{eventType}/{stateKey}", GetState).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/state/{eventType}", (string roomId, string eventType, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct) =>
            GetState(roomId, eventType, "", http, q, clock, ct)).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/state", AllState).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/members", Members).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/joined_members", JoinedMembers).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/event/{eventId}", GetEvent).RequireAccessToken();
        v3.MapGet("/joined_rooms", async (HttpContext http, IQuerySession q, CancellationToken ct) =>
        {
            var user = http.Device().UserId;
            var rooms = await q.Query<RoomMember>().Where(m => m.UserId == user && m.Membership == Memberships.Join)
                .Select(m => m.RoomId).ToListAsync(ct);
            return TypedResults.Ok(new { joined_rooms = rooms });
        }).RequireAccessToken();
    }

    /// <summary>The room if the caller may read it (joined), else the Matrix error to answer.</summary>
    public static async Task<(RoomState? Room, IResult? Error)> ReadableAsync(IQuerySession q, string roomId, string userId, CancellationToken ct)
    {
        var room = await RoomStates.LoadAsync(q, roomId, ct);
        if (room is null || !room.Exists) return (null, MatrixError.Forbidden("You are not in this room (or it does not exist)").ToResult());
        return room.IsJoined(userId) ? (room, null) : (null, MatrixError.Forbidden("You are not joined to this room").ToResult());
    }

    static async Task<IResult> GetState(string roomId, string eventType, string stateKey, HttpContext http, IQuerySession q,
        TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error;
        var format = http.Request.Query["format"].FirstOrDefault();
        if (room!.Get(eventType, stateKey) is not { } entry) return MatrixError.NotFound("Event not found").ToResult();
        if (format == "event")
            return Results.Json(ToEvent(roomId, eventType, stateKey, entry).ToClientEvent(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        return Results.Content(entry.Content, "application/json");
    }

    static async Task<IResult> AllState(string roomId, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return Results.Json(new JsonArray(room!.All().Select(s => (JsonNode)ToEvent(roomId, s.Type, s.StateKey, s.Entry).ToClientEvent(now)).ToArray()));
    }

    static async Task<IResult> Members(string roomId, string? membership, string? not_membership, HttpContext http, IQuerySession q,
        TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var chunk = room!.All()
            .Where(s => s.Type == EventTypes.Member)
            .Select(s => ToEvent(roomId, s.Type, s.StateKey, s.Entry))
            .Where(e =>
            {
                var m = e.ContentObject().String("membership");
                return (membership is null || m == membership) && (not_membership is null || m != not_membership);
            })
            .Select(e => (JsonNode)e.ToClientEvent(now));
        return Results.Json(new JsonObject { ["chunk"] = new JsonArray(chunk.ToArray()) });
    }

    static async Task<IResult> JoinedMembers(string roomId, HttpContext http, IQuerySession q, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error;
        var joined = new JsonObject();
        foreach (var user in room!.UsersWithMembership(Memberships.Join))
        {
            var content = room.Content(EventTypes.Member, user)!;
            joined[user] = new JsonObject { ["display_name"] = content["displayname"]?.DeepClone(), ["avatar_url"] = content["avatar_url"]?.DeepClone() };
        }
        return Results.Json(new JsonObject { ["joined"] = joined });
    }

    static async Task<IResult> GetEvent(string roomId, string eventId, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error;
        var e = await RoomWriter.LoadEventAsync(q, eventId, ct);
        if (e is null || e.RoomId != roomId) return MatrixError.NotFound("Event not found").ToResult();
        return Results.Json(await Redactions.ToClientEventAsync(q, room!, e, clock.GetUtcNow().ToUnixTimeMilliseconds(), http.Device().DeviceId, ct));
    }

    public static RoomEvent ToEvent(string roomId, string type, string stateKey, StateEntry entry) =>
        new(entry.EventId, roomId, entry.Sender, type, stateKey, entry.Content, entry.OriginServerTs);
}
