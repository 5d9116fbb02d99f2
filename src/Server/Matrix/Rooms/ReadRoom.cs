namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>Reading rooms: state, members, joined members, one event, joined rooms.</summary>
public static class ReadRoom
{
    /// <summary>GET /joined_rooms.</summary>
    public sealed record JoinedRoomsResponse(IReadOnlyList<string> JoinedRooms);

    /// <summary>GET /rooms/{roomId}/members: the member events.</summary>
    public sealed record MembersResponse(IReadOnlyList<JsonObject> Chunk);

    /// <summary>GET /rooms/{roomId}/joined_members: the profile of each joined user, by user id.</summary>
    public sealed record JoinedMembersResponse(IReadOnlyDictionary<string, JoinedMember> Joined);

    /// <summary>The member event's displayname and avatar_url as they stand, null (written as null) when unset.</summary>
    public sealed record JoinedMember(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? DisplayName,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? AvatarUrl);

    public static void MapReadRoom(this RouteGroupBuilder v3)
    {
        v3.MapGet("/rooms/{roomId}/state/{eventType}/{stateKey}", GetState).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/state/{eventType}", (string roomId, string eventType, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct) =>
            GetState(roomId, eventType, "", http, q, clock, ct)).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/state", AllState).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/members", Members).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/joined_members", JoinedMembers).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/event/{eventId}", GetEvent).RequireAccessToken();
        v3.MapGet("/joined_rooms", JoinedRooms).RequireAccessToken();
    }

    /// <summary>The room if the caller may read it (joined), else the Matrix error to answer.</summary>
    public static async Task<(RoomState? Room, MatrixError? Error)> ReadableAsync(IQuerySession q, string roomId, string userId, CancellationToken ct)
    {
        var room = await RoomStates.LoadAsync(q, roomId, ct);
        if (room is null || !room.Exists) return (null, MatrixError.Forbidden("You are not in this room (or it does not exist)"));
        return room.IsJoined(userId) ? (room, null) : (null, MatrixError.Forbidden("You are not joined to this room"));
    }

    static async Task<Results<Ok<JsonObject>, ContentHttpResult, JsonHttpResult<MatrixError>>> GetState(string roomId, string eventType, string stateKey, HttpContext http, IQuerySession q,
        TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var format = http.Request.Query["format"].FirstOrDefault();
        if (room!.Get(eventType, stateKey) is not { } entry) return MatrixError.NotFound("Event not found").ToTypedResult();
        if (format == "event")
            return TypedResults.Ok(ToEvent(roomId, eventType, stateKey, entry).ToClientEvent(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        return TypedResults.Content(entry.Content, "application/json");
    }

    static async Task<Results<Ok<JsonObject[]>, JsonHttpResult<MatrixError>>> AllState(string roomId, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return TypedResults.Ok(room!.All().Select(s => ToEvent(roomId, s.Type, s.StateKey, s.Entry).ToClientEvent(now)).ToArray());
    }

    static async Task<Results<Ok<MembersResponse>, JsonHttpResult<MatrixError>>> Members(string roomId, string? membership, string? not_membership, HttpContext http, IQuerySession q,
        TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var chunk = room!.All()
            .Where(s => s.Type == EventTypes.Member)
            .Select(s => ToEvent(roomId, s.Type, s.StateKey, s.Entry))
            .Where(e =>
            {
                var m = e.ContentObject().String("membership");
                return (membership is null || m == membership) && (not_membership is null || m != not_membership);
            })
            .Select(e => e.ToClientEvent(now));
        return TypedResults.Ok(new MembersResponse(chunk.ToArray()));
    }

    static async Task<Results<Ok<JoinedMembersResponse>, JsonHttpResult<MatrixError>>> JoinedMembers(string roomId, HttpContext http, IQuerySession q, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var joined = new Dictionary<string, JoinedMember>();
        foreach (var user in room!.UsersWithMembership(Memberships.Join))
        {
            var content = room.Content(EventTypes.Member, user)!;
            joined[user] = new JoinedMember(content["displayname"]?.DeepClone(), content["avatar_url"]?.DeepClone());
        }
        return TypedResults.Ok(new JoinedMembersResponse(joined));
    }

    static async Task<Results<Ok<JsonObject>, JsonHttpResult<MatrixError>>> GetEvent(string roomId, string eventId, HttpContext http, IQuerySession q, TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var e = await RoomWriter.LoadEventAsync(q, eventId, ct);
        if (e is null || e.RoomId != roomId) return MatrixError.NotFound("Event not found").ToTypedResult();
        return TypedResults.Ok(await Redactions.ToClientEventAsync(q, room!, e, clock.GetUtcNow().ToUnixTimeMilliseconds(), http.Device().DeviceId, ct));
    }

    static async Task<Ok<JoinedRoomsResponse>> JoinedRooms(HttpContext http, IQuerySession q, CancellationToken ct)
    {
        var user = http.Device().UserId;
        var rooms = await q.Query<RoomMember>().Where(m => m.UserId == user && m.Membership == Memberships.Join)
            .Select(m => m.RoomId).ToListAsync(ct);
        return TypedResults.Ok(new JoinedRoomsResponse(rooms));
    }

    public static RoomEvent ToEvent(string roomId, string type, string stateKey, StateEntry entry) =>
        new(entry.EventId, roomId, entry.Sender, type, stateKey, entry.Content, entry.OriginServerTs);
}
