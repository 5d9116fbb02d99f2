using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Consent;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// Who decides a room's floor across homeservers (MSC4002 <c>floor_host</c>), and how a server that becomes the floor
/// host continues the history it knows. Pure: room state and time in, answers out.
/// </summary>
public static class FloorHost
{
    /// <summary><c>floor_host</c> of the room's configuration, else the server of the room's creator.</summary>
    public static string Of(RoomState room, WalkieConfig? config) =>
        config?.FloorHost ?? ServerOf(room.Creator ?? "") ?? "";

    public static bool IsLocal(string host, string localServer) => string.Equals(host, localServer, StringComparison.OrdinalIgnoreCase);

    /// <summary>The server part of a user id, or null.</summary>
    public static string? ServerOf(string userId) =>
        MatrixIds.TryParseUserId(userId, out _, out var server) ? server : null;

    /// <summary>The floor host must take part in the room: a server with at least one joined member.</summary>
    public static bool HasJoinedMember(RoomState room, string server) =>
        room.UsersWithMembership(Memberships.Join).Any(u => ServerOf(u) is { } s && IsLocal(s, server));

    /// <summary>
    /// The floor a new host starts from: what it last knew (its own stream, or the previous host's floor EDUs), emptied —
    /// the previous host's holder and queue end with reason <c>host_changed</c> — at the same epoch, so the new host's
    /// first grant is above every epoch it knows and epochs never go backwards. Empty when there is nothing to end.
    /// </summary>
    public static FloorEvent[] TakeOver(string roomId, FloorState known, DateTimeOffset now) => known switch
    {
        FloorState.Taken t =>
        [
            .. t.Queue.Select(q => (FloorEvent)new FloorLeftQueue(roomId, q.Device, LeaveReason.HostChanged, now)),
            new FloorRevoked(roomId, t.Holder, t.Epoch, RevokeReason.HostChanged, null, now),
            new FloorIdle(roomId, t.Epoch, RevokeReason.HostChanged.ToWire(), now),
        ],
        _ => [],
    };

    /// <summary>
    /// A device of another server: its consent is what its server mirrors into the room as <c>org.matrix.msc4002.member</c>
    /// (state key <c>_@user:server_DEVICE</c>, content <c>{"device_id", "expires_ts"}</c>; empty content = none).
    /// </summary>
    public static bool HasMirroredConsent(RoomState room, DeviceRef device, DateTimeOffset now)
    {
        if (room.Content(ConsentService.MemberEventType, device.StateKey) is not { } content) return false;
        if (content["device_id"] is not JsonValue d || !d.TryGetValue<string>(out var deviceId) || deviceId != device.DeviceId) return false;
        return content["expires_ts"] switch
        {
            null => true,
            JsonValue v when v.TryGetValue<long>(out var expires) => expires > now.ToUnixTimeMilliseconds(),
            _ => false,
        };
    }
}
