namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>GET /rooms/{roomId}/members (member events, filtered by `membership`/`not_membership`) and GET /rooms/{roomId}/joined_members.</summary>
public static class GetMembers
{
    /// <summary>GET /rooms/{roomId}/members: the member events.</summary>
    public sealed record MembersResponse(IReadOnlyList<JsonObject> Chunk);

    /// <summary>GET /rooms/{roomId}/joined_members: the profile of each joined user, by user id.</summary>
    public sealed record JoinedMembersResponse(IReadOnlyDictionary<string, JoinedMember> Joined);

    /// <summary>The member event's displayname and avatar_url as they stand, null (written as null) when unset.</summary>
    public sealed record JoinedMember(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? DisplayName,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? AvatarUrl);

    public static void MapGetMembers(this RouteGroupBuilder v3)
    {
        v3.MapGet("/rooms/{roomId}/members", Members).RequireAccessToken();
        v3.MapGet("/rooms/{roomId}/joined_members", JoinedMembers).RequireAccessToken();
    }

    static async Task<Results<Ok<MembersResponse>, JsonHttpResult<MatrixError>>> Members(string roomId, string? membership, string? not_membership, HttpContext http, IQuerySession q,
        TimeProvider clock, CancellationToken ct)
    {
        var (room, error) = await ReadRoom.ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var chunk = room!.All()
            .Where(s => s.Type == EventTypes.Member)
            .Select(s => ReadRoom.ToEvent(roomId, s.Type, s.StateKey, s.Entry))
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
        var (room, error) = await ReadRoom.ReadableAsync(q, roomId, http.Device().UserId, ct);
        if (error is not null) return error.ToTypedResult();
        var joined = new Dictionary<string, JoinedMember>();
        foreach (var user in room!.UsersWithMembership(Memberships.Join))
        {
            var content = room.Content(EventTypes.Member, user)!;
            joined[user] = new JoinedMember(content["displayname"]?.DeepClone(), content["avatar_url"]?.DeepClone());
        }
        return TypedResults.Ok(new JoinedMembersResponse(joined));
    }
}
