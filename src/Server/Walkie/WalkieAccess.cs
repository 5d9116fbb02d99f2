using WalkieTalkie.Server.Walkie.Config;

namespace WalkieTalkie.Server.Walkie;

/// <summary>Who may use the MSC4002 endpoints of a room: joined members, and only where walkie-talkie is enabled.</summary>
public static class WalkieAccess
{
    /// <summary>Membership first, so a non-member learns nothing about the room's configuration.</summary>
    public static WalkieConfig RequireEnabledMember(RoomState? room, string userId)
    {
        if (room is null || !room.Exists) throw new MatrixException(MatrixError.Forbidden("You are not in this room (or it does not exist)"));
        if (!room.IsJoined(userId)) throw new MatrixException(MatrixError.Forbidden("You are not joined to this room"));
        return WalkieConfig.Of(room) ?? throw new MatrixException(WalkieErrors.NotEnabled());
    }
}
