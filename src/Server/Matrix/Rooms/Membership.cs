using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>Room membership: join (by id or alias), invite, leave, kick, ban, unban, forget.</summary>
public static class Membership
{
    /// <summary>join and leave: an optional reason; the body may be empty.</summary>
    public sealed record ReasonRequest(string? Reason) : IMatrixRequest<ReasonRequest>
    {
        public static bool EmptyIsObject => true;
    }

    /// <summary>invite, kick, ban, unban: whose membership changes, and why.</summary>
    public sealed record TargetRequest(string? UserId, string? Reason) : IMatrixRequest<TargetRequest>
    {
        public static bool EmptyIsObject => true;
    }

    /// <summary>join: the room joined, by id.</summary>
    public sealed record JoinResponse(string RoomId);

    public static void MapMembership(this RouteGroupBuilder v3)
    {
        v3.MapPost("/join/{roomIdOrAlias}", Join).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/join", Join).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/invite", (string roomId, TargetRequest body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            ChangeOther(roomId, body, http, w, q, Memberships.Invite, ct)).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/kick", (string roomId, TargetRequest body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            ChangeOther(roomId, body, http, w, q, Memberships.Leave, ct)).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/ban", (string roomId, TargetRequest body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            ChangeOther(roomId, body, http, w, q, Memberships.Ban, ct)).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/unban", (string roomId, TargetRequest body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            ChangeOther(roomId, body, http, w, q, "unban", ct)).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/leave", Leave).RequireAccessToken();
        // Nothing is kept per user once they left, so forgetting is a no-op that always succeeds.
        v3.MapPost("/rooms/{roomId}/forget", () => TypedResults.Ok(EmptyResponse.Instance)).RequireAccessToken();
    }

    static async Task<Results<Ok<JoinResponse>, JsonHttpResult<MatrixError>>> Join(ReasonRequest body, HttpContext http, RoomWriter writer, IQuerySession query, RemoteJoin remote,
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
        else roomId = await Aliases.ResolveAsync(query, target, ct);
        if (roomId is null) return MatrixError.NotFound($"Room {target} not found").ToTypedResult();

        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is not null && room.IsJoined(user)) return TypedResults.Ok(new JoinResponse(roomId));
        var account = await query.LoadAsync<UserAccount>(user, ct);
        var content = CreateRoom.MemberContent(Memberships.Join, account);
        if (body.Reason is { } reason) content["reason"] = reason;

        // Not resident (no joined member here): a server in the room hands out the join.
        var resident = room is not null && room.Exists && PduStore.JoinedServers(room).Contains(own);
        if (!resident && (PduVerifier.ServerOf(roomId) != own || servers.Count > 0))
        {
            await remote.JoinAsync(roomId, user, content, servers, ct);
            return TypedResults.Ok(new JoinResponse(roomId));
        }
        if (room is null || !room.Exists) return MatrixError.NotFound($"Room {target} not found").ToTypedResult();
        // An invite flagged is_direct keeps the flag on the join.
        await writer.AppendAsync(roomId, state => [new RoomEventDraft(user, EventTypes.Member, user, content)], ct);
        return TypedResults.Ok(new JoinResponse(roomId));
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Leave(string roomId, ReasonRequest body, HttpContext http, RoomWriter writer, IQuerySession query, CancellationToken ct)
    {
        var user = http.Device().UserId;
        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is null || !room.Exists) return MatrixError.NotFound("Unknown room").ToTypedResult();
        var content = new JsonObject { ["membership"] = Memberships.Leave };
        if (body.Reason is { } reason) content["reason"] = reason;
        await writer.AppendAsync(roomId, _ => [new RoomEventDraft(user, EventTypes.Member, user, content)], ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }

    /// <summary>invite/kick/ban/unban: the sender changes someone else's membership.</summary>
    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> ChangeOther(string roomId, TargetRequest body, HttpContext http, RoomWriter writer, IQuerySession query,
        string change, CancellationToken ct)
    {
        var sender = http.Device().UserId;
        var target = body.UserId;
        if (target is null || !MatrixIds.TryParseUserId(target, out _, out _))
            return MatrixError.BadJson("`user_id` must be a user id").ToTypedResult();
        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is null || !room.Exists) return MatrixError.NotFound("Unknown room").ToTypedResult();

        var remoteTarget = PduVerifier.ServerOf(target) != http.RequestServices.GetRequiredService<IOptions<MatrixOptions>>().Value.ServerName;
        if (change == Memberships.Invite)
        {
            if (!remoteTarget && await query.LoadAsync<UserAccount>(target, ct) is null) return MatrixError.NotFound($"Unknown user {target}").ToTypedResult();
            if (room.MembershipOf(target) == Memberships.Invite) return TypedResults.Ok(EmptyResponse.Instance);
        }
        if (change == "unban" && room.MembershipOf(target) != Memberships.Ban)
            return MatrixError.Forbidden("The user is not banned").ToTypedResult();
        if (change == Memberships.Leave && room.MembershipOf(target) is not (Memberships.Join or Memberships.Invite))
            return MatrixError.Forbidden("The user is not in the room").ToTypedResult();

        var content = new JsonObject { ["membership"] = change == "unban" ? Memberships.Leave : change };
        if (body.Reason is { } reason) content["reason"] = reason;
        // The invitee's server signs an invite of its user before the room has it.
        if (change == Memberships.Invite && remoteTarget)
            await http.RequestServices.GetRequiredService<RemoteInvite>().SendAsync(roomId, sender, target, content, ct);
        else await writer.AppendAsync(roomId, _ => [new RoomEventDraft(sender, EventTypes.Member, target, content)], ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
