using WalkieTalkie.Server.Matrix.Profile;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>A new display name or avatar is announced in every joined room as a fresh m.room.member event (as Synapse does).</summary>
public static class ProfileChangedHandler
{
    public static async Task Handle(ProfileChanged changed, IQuerySession query, RoomWriter writer, CancellationToken ct)
    {
        var rooms = await query.Query<RoomMember>()
            .Where(m => m.UserId == changed.UserId && m.Membership == Memberships.Join)
            .Select(m => m.RoomId).ToListAsync(ct);
        foreach (var roomId in rooms)
            await writer.AppendAsync(roomId, room =>
            {
                if (!room.IsJoined(changed.UserId)) return [];
                var content = room.Content(EventTypes.Member, changed.UserId) ?? new JsonObject { ["membership"] = Memberships.Join };
                content.Remove("displayname");
                content.Remove("avatar_url");
                if (changed.DisplayName is { Length: > 0 } name) content["displayname"] = name;
                if (changed.AvatarUrl is { Length: > 0 } avatar) content["avatar_url"] = avatar;
                return [new RoomEventDraft(changed.UserId, EventTypes.Member, changed.UserId, content)];
            }, ct);
    }
}
