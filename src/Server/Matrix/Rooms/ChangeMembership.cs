using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>
/// POST /rooms/{roomId}/invite, /kick, /ban, /unban: the sender changes someone else's membership (an invite of another
/// server's user goes through that server first).
/// </summary>
public static class ChangeMembership
{
    /// <summary>Whose membership changes, and why.</summary>
    public sealed record Request(string? UserId, string? Reason) : IMatrixRequest<Request>
    {
        public static bool EmptyIsObject => true;
    }

    public static void MapChangeMembership(this RouteGroupBuilder v3)
    {
        v3.MapPost("/rooms/{roomId}/invite", (string roomId, Request body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            Handle(roomId, body, http, w, q, Memberships.Invite, ct)).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/kick", (string roomId, Request body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            Handle(roomId, body, http, w, q, Memberships.Leave, ct)).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/ban", (string roomId, Request body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            Handle(roomId, body, http, w, q, Memberships.Ban, ct)).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/unban", (string roomId, Request body, HttpContext http, RoomWriter w, IQuerySession q, CancellationToken ct) =>
            Handle(roomId, body, http, w, q, "unban", ct)).RequireAccessToken();
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string roomId, Request body, HttpContext http, RoomWriter writer, IQuerySession query,
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
