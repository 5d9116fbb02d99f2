using WalkieTalkie.Server.Matrix.Sync;

namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>Account data in /sync: everything on an initial sync, changes in the token range otherwise.</summary>
public sealed class AccountDataSync : ISyncContributor
{
    public Task AddStreamsAsync(IQuerySession session, SyncRequest request, SyncStreamSet streams, CancellationToken ct)
    {
        streams.Add(SyncStreams.AccountData(request.Device.UserId));
        return Task.CompletedTask;
    }

    public async Task<bool> ContributeAsync(IQuerySession session, SyncContext context, SyncResponse response, CancellationToken ct)
    {
        var user = context.Request.Device.UserId;
        IReadOnlyList<AccountDataEvent> global;
        IReadOnlyDictionary<string, List<AccountDataEvent>> rooms;
        if (context.Request.Since is null)
            (global, rooms) = await AccountDataStore.CurrentAsync(session, user, ct);
        else
        {
            // The changes are already among the events this sync read; keep the latest per (room, type).
            var latest = context.Events.Where(e => e.StreamKey == SyncStreams.AccountData(user)).Select(e => (AccountDataSet)e.Data)
                .GroupBy(set => (set.RoomId, set.Type)).Select(g => g.Last()).ToList();
            global = latest.Where(s => s.RoomId is null).Select(s => AccountDataEvent.From(s.Type, s.ContentJson)).ToList();
            rooms = latest.Where(s => s.RoomId is not null).GroupBy(s => s.RoomId!)
                .ToDictionary(g => g.Key, g => g.Select(s => AccountDataEvent.From(s.Type, s.ContentJson)).ToList());
        }

        response.AccountData = ToList(global);
        var join = response.Rooms.Join;
        var added = global.Count > 0;
        foreach (var (roomId, events) in rooms)
        {
            if (!context.Memberships.Any(m => m.RoomId == roomId && m.Membership == Rooms.Memberships.Join)) continue;
            // A room with nothing else new still gets its account data.
            if (!join.TryGetValue(roomId, out var room))
                join[roomId] = room = new JoinedRoom { Timeline = new SyncTimeline([], false, null), State = EventList.Empty, Ephemeral = EventList.Empty };
            room.AccountData = ToList(events);
            added = true;
        }
        return added && context.Request.Since is not null;
    }

    static EventList ToList(IEnumerable<AccountDataEvent> events) =>
        new(events.Select(e => new JsonObject { ["type"] = e.Type, ["content"] = JsonNode.Parse(e.Content.GetRawText()) }).ToList());
}
