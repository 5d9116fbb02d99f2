using JasperFx.Events;

namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>A user's device identity keys or cross-signing keys changed, or one of their devices went (DeviceId null: cross-signing).</summary>
public sealed record DeviceListChanged(string UserId, string? DeviceId, DateTimeOffset At);

/// <summary>Device-list tracking for /sync `device_lists` and /keys/changes, from the `devicelist:` streams and RoomMember documents.</summary>
public static class DeviceLists
{
    /// <summary>Only inside <see cref="SyncLog.BeginAsync"/>: the change becomes visible to sync tokens in sequence order.</summary>
    public static void Changed(IDocumentSession session, string userId, string? deviceId, DateTimeOffset at) =>
        session.Events.Append(SyncStreams.DeviceList(userId), new DeviceListChanged(userId, deviceId, at));

    /// <summary>Which of <paramref name="userIds"/> had a DeviceListChanged with sequence in (since, upto].</summary>
    public static async Task<IReadOnlySet<string>> ChangedAmongAsync(IQuerySession session, long since, long upto,
        IReadOnlyCollection<string> userIds, CancellationToken ct)
    {
        if (userIds.Count == 0 || upto <= since) return new HashSet<string>();
        var streams = userIds.Select(SyncStreams.DeviceList).ToArray();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.Sequence > since && e.Sequence <= upto && e.StreamKey!.IsOneOf(streams))
            .ToListAsync(ct);
        return events.Select(e => e.Data).OfType<DeviceListChanged>().Select(c => c.UserId).ToHashSet();
    }

    /// <summary>Users joined to a room the user is joined to, and the user themselves (their own devices always count).</summary>
    public static async Task<IReadOnlySet<string>> UsersSharingARoomWithAsync(IQuerySession session, string userId, CancellationToken ct)
    {
        var rooms = await session.Query<RoomMember>()
            .Where(m => m.UserId == userId && m.Membership == Memberships.Join)
            .Select(m => m.RoomId)
            .ToListAsync(ct);
        var users = new HashSet<string> { userId };
        if (rooms.Count == 0) return users;
        var members = await session.Query<RoomMember>()
            .Where(m => m.RoomId.IsOneOf(rooms.ToArray()) && m.Membership == Memberships.Join)
            .Select(m => m.UserId)
            .ToListAsync(ct);
        users.UnionWith(members);
        return users;
    }

    /// <summary>
    /// `device_lists` for a user between two sync positions (since exclusive, upto inclusive). Changed: users sharing a
    /// room whose devices changed, or who started sharing one (a join in range). Left: users who shared a room and no
    /// longer share any, because they or the user left in range.
    /// </summary>
    public static async Task<(IReadOnlyList<string> Changed, IReadOnlyList<string> Left)> ForUserAsync(IQuerySession session,
        string userId, long since, long upto, CancellationToken ct)
    {
        var sharing = await UsersSharingARoomWithAsync(session, userId, ct);
        var changed = new HashSet<string>(await ChangedAmongAsync(session, since, upto, sharing, ct));

        var myRooms = await session.Query<RoomMember>().Where(m => m.UserId == userId).ToListAsync(ct);
        var roomIds = myRooms.Select(m => m.RoomId).ToArray();
        var left = new HashSet<string>();
        if (roomIds.Length > 0)
        {
            // Membership moves in range, read from the rooms' member events (the last one per user and room wins).
            var streams = roomIds.Select(SyncStreams.Room).ToArray();
            var events = await session.Events.QueryAllRawEvents()
                .Where(e => e.Sequence > since && e.Sequence <= upto && streams.Contains(e.StreamKey!))
                .OrderBy(e => e.Sequence)
                .ToListAsync(ct);
            var movedInRange = events.Select(e => e.Data).OfType<RoomEvent>()
                .Where(e => e.Type == EventTypes.Member && e.StateKey is not null)
                .GroupBy(e => (e.RoomId, e.StateKey))
                .Select(g => (RoomId: g.Key.RoomId, UserId: g.Key.StateKey!, Membership: g.Last().ContentObject()["membership"]?.GetValue<string>()))
                .ToList();
            var iMoved = movedInRange.Where(m => m.UserId == userId).ToDictionary(m => m.RoomId, m => m.Membership);
            foreach (var m in movedInRange.Where(m => m.UserId != userId))
            {
                if (m.Membership == Memberships.Join) changed.Add(m.UserId);
                else left.Add(m.UserId);
            }
            if (iMoved.Count > 0)
            {
                var othersInRoomsIMoved = await session.Query<RoomMember>()
                    .Where(m => m.RoomId.IsOneOf(iMoved.Keys.ToArray()) && m.Membership == Memberships.Join)
                    .ToListAsync(ct);
                foreach (var m in othersInRoomsIMoved.Where(m => m.UserId != userId))
                {
                    if (iMoved[m.RoomId] == Memberships.Join) changed.Add(m.UserId);
                    else left.Add(m.UserId);
                }
            }
        }
        left.ExceptWith(sharing);
        changed.IntersectWith(sharing);
        return (changed.Order(StringComparer.Ordinal).ToList(), left.Order(StringComparer.Ordinal).ToList());
    }
}
