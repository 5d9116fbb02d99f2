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

    public async Task<bool> ContributeAsync(IQuerySession session, SyncContext context, JsonObject response, CancellationToken ct)
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

        response["account_data"] = new JsonObject { ["events"] = ToArray(global) };
        var join = response["rooms"]!["join"]!.AsObject();
        var added = global.Count > 0;
        foreach (var (roomId, events) in rooms)
        {
            if (!context.Memberships.Any(m => m.RoomId == roomId && m.Membership == Rooms.Memberships.Join)) continue;
            if (join[roomId] is not JsonObject room)
            {
                // A room with nothing else new still gets its account data.
                room = new JsonObject
                {
                    ["timeline"] = new JsonObject { ["events"] = new JsonArray(), ["limited"] = false },
                    ["state"] = new JsonObject { ["events"] = new JsonArray() },
                    ["ephemeral"] = new JsonObject { ["events"] = new JsonArray() },
                };
                join[roomId] = room;
            }
            room["account_data"] = new JsonObject { ["events"] = ToArray(events) };
            added = true;
        }
        return added && context.Request.Since is not null;
    }

    static JsonArray ToArray(IEnumerable<AccountDataEvent> events) =>
        new(events.Select(e => (JsonNode)new JsonObject { ["type"] = e.Type, ["content"] = JsonNode.Parse(e.Content.GetRawText()) }).ToArray());
}
