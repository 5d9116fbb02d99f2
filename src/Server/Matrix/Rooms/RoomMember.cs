namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>
/// Current membership of one user in one room (Marten document, id "room id|user id"), written in the same
/// transaction as the m.room.member event.
/// </summary>
public sealed record RoomMember(string Id, string RoomId, string UserId, string Membership)
{
    public static string Key(string roomId, string userId) => $"{roomId}|{userId}";
}

public static class Memberships
{
    public const string Join = "join", Invite = "invite", Leave = "leave", Ban = "ban", Knock = "knock";
}
