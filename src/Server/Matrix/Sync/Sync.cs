using JasperFx.Events;
using Npgsql;
using WalkieTalkie.Server.Matrix.Filters;

namespace WalkieTalkie.Server.Matrix.Sync;

/// <summary>
/// GET /sync. Reads everything sync-visible after the `since` sequence from the user's streams (rooms, account data,
/// to-device, device lists, receipts) in one snapshot (<see cref="SyncSnapshot"/>), plus ephemeral room data; when
/// there is nothing, waits for the next commit anywhere (LISTEN/NOTIFY) instead of polling, up to `timeout`.
/// </summary>
public static class Sync
{
    const int MaxEventsPerSync = 2000;
    const int DefaultTimelineLimit = 10;

    public static void MapSync(this RouteGroupBuilder v3) => v3.MapGet("/sync", Handle).RequireAccessToken();

    static async Task<Ok<SyncResponse>> Handle(string? since, long? timeout, string? filter, bool? full_state, HttpContext http,
        IDocumentStore store, NpgsqlDataSource dataSource, SyncNotifier notifier, EphemeralBoard board, IEnumerable<ISyncContributor> contributors,
        TimeProvider clock, CancellationToken ct)
    {
        var device = http.Device();
        var token = since is null ? null : SyncToken.Parse(since) ?? throw new MatrixException(MatrixError.InvalidParam("Invalid since token"));
        SyncFilter options;
        await using (var filterSession = store.QuerySession())
            options = await SyncFilter.ResolveAsync(filterSession, device.UserId, filter, ct);
        var deadline = clock.GetUtcNow() + TimeSpan.FromMilliseconds(Math.Clamp(timeout ?? 0, 0, 60_000));
        var contributorList = contributors.ToList();

        while (true)
        {
            // Taken before the snapshot starts: a commit the snapshot misses completes it, so the wait below wakes.
            var changed = notifier.NextChange;
            var request = new SyncRequest(device, token, full_state is true, options, clock.GetUtcNow().ToUnixTimeMilliseconds());
            var (response, hasContent) = await SyncSnapshot.ReadAsync(dataSource, store,
                session => BuildAsync(session, request, board, contributorList, ct), ct);
            var remaining = deadline - clock.GetUtcNow();
            if (token is null || hasContent || full_state is true || remaining <= TimeSpan.Zero)
                return TypedResults.Ok(response);
            try { await changed.WaitAsync(remaining, ct); }
            catch (TimeoutException) { }
        }
    }

    static async Task<(SyncResponse Response, bool HasContent)> BuildAsync(IQuerySession session, SyncRequest request,
        EphemeralBoard board, List<ISyncContributor> contributors, CancellationToken ct)
    {
        var user = request.Device.UserId;
        // Read before the entries: a change after this is shown now or next time, never skipped.
        var ephemeralVersion = board.Version;
        var memberships = await session.Query<RoomMember>().Where(m => m.UserId == user).ToListAsync(ct);
        var roomStates = await RoomStates.LoadManyAsync(session, memberships.Select(m => m.RoomId).ToArray(), ct);
        var streams = new SyncStreamSet(user, request.Device.DeviceId, memberships.Select(m => m.RoomId).ToList());
        foreach (var contributor in contributors) await contributor.AddStreamsAsync(session, request, streams, ct);

        var since = request.Since?.Seq ?? 0;
        var keys = streams.Keys.ToArray();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.Sequence > since && keys.Contains(e.StreamKey!))
            .OrderBy(e => e.Sequence)
            .Take(MaxEventsPerSync)
            .ToListAsync(ct);
        var upto = events.Count > 0 ? events[^1].Sequence : since;
        if (request.Since is null) upto = Math.Max(upto, await LatestAsync(session, streams.Keys, ct));

        var response = new SyncResponse();
        var (join, invite, leave) = (response.Rooms.Join, response.Rooms.Invite, response.Rooms.Leave);
        var hasContent = false;
        var sameInstance = request.Since?.Instance == board.Instance;

        foreach (var member in memberships)
        {
            if (!roomStates.TryGetValue(member.RoomId, out var room)) continue;
            var roomEvents = events.Where(e => e.StreamKey == SyncStreams.Room(member.RoomId)).Select(e => new SequencedEvent(e.Sequence, (RoomEvent)e.Data)).ToList();
            var myMembershipChanged = roomEvents.Any(e => e.Event.Type == EventTypes.Member && e.Event.StateKey == user);
            switch (member.Membership)
            {
                case Memberships.Join:
                {
                    var newlyJoined = request.Since is null || request.FullState || myMembershipChanged;
                    var ephemeral = board.EventsFor(member.RoomId, newlyJoined || !sameInstance ? null : request.Since!.EphemeralVersion);
                    var receipts = events.Where(e => e.StreamKey == SyncStreams.Receipts(member.RoomId)).Select(e => (ReceiptSent)e.Data).ToList();
                    if (!newlyJoined && roomEvents.Count == 0 && ephemeral.Count == 0 && receipts.Count == 0) break;
                    var section = await JoinedRoomAsync(session, request, room, roomEvents, newlyJoined, upto, ct);
                    var ephemeralEvents = ephemeral.ToList();
                    if (receipts.Count > 0) ephemeralEvents.Add(ReceiptEvent(receipts));
                    section.Ephemeral = new EventList(ephemeralEvents);
                    join[member.RoomId] = section;
                    hasContent = true;
                    break;
                }
                case Memberships.Invite when request.Since is null || myMembershipChanged:
                    // Left and invited again within the range: the client still has to see the room end.
                    if (request.Since is not null && LeftSection(roomEvents, user, upto, request, afterJoinOnly: true) is { } left)
                        leave[member.RoomId] = left;
                    invite[member.RoomId] = new InvitedRoom(new EventList(StrippedState(room, user)));
                    hasContent = true;
                    break;
                case Memberships.Leave or Memberships.Ban when request.Since is not null && myMembershipChanged:
                    leave[member.RoomId] = LeftSection(roomEvents, user, upto, request, afterJoinOnly: false)!;
                    hasContent = true;
                    break;
            }
        }

        var context = new SyncContext(request, events, since, upto, memberships, roomStates);
        foreach (var contributor in contributors)
            hasContent |= await contributor.ContributeAsync(session, context, response, ct);

        response.NextBatch = new SyncToken(upto, ephemeralVersion, board.Instance).ToString();
        return (response, hasContent);
    }

    static async Task<JoinedRoom> JoinedRoomAsync(IQuerySession session, SyncRequest request, RoomState room,
        List<SequencedEvent> newEvents, bool fullState, long upto, CancellationToken ct)
    {
        var limit = Math.Clamp(request.Options.TimelineLimit ?? DefaultTimelineLimit, 1, 1000);
        List<SequencedEvent> timeline;
        bool limited;
        if (request.Since is null)
        {
            timeline = (await RoomTimeline.BackwardsAsync(session, room.Id, upto, limit + 1, ct)).Reverse().ToList();
            limited = timeline.Count > limit;
            if (limited) timeline = timeline.Skip(1).ToList();
        }
        else
        {
            limited = newEvents.Count > limit;
            timeline = limited ? newEvents.Skip(newEvents.Count - limit).ToList() : newEvents;
        }

        var now = request.Now;
        var state = new List<JsonObject>();
        var inTimeline = timeline.Select(t => t.Event.EventId).ToHashSet();
        if (fullState)
        {
            foreach (var (type, key, entry) in room.All())
                if (!inTimeline.Contains(entry.EventId) && Wanted(request, room, type, key, timeline))
                    state.Add(ReadRoom.ToEvent(room.Id, type, key, entry).ToClientEvent(now));
        }
        else if (limited)
        {
            // State changed in the gap the client will not see in its timeline.
            foreach (var e in newEvents.Take(newEvents.Count - limit).Where(e => e.Event.IsState).GroupBy(e => (e.Event.Type, e.Event.StateKey)).Select(g => g.Last()))
                state.Add(e.Event.ToClientEvent(now));
        }

        var timelineEvents = new List<JsonObject>();
        foreach (var e in timeline.Where(e => request.Options.IncludesTimelineType(e.Event.Type)))
            timelineEvents.Add(await ReadRoom.ToClientEventAsync(session, room, e.Event, now, request.Device.DeviceId, ct));

        var joined = room.UsersWithMembership(Memberships.Join).ToList();
        var invited = room.UsersWithMembership(Memberships.Invite).Count();
        return new JoinedRoom
        {
            Timeline = new SyncTimeline(timelineEvents, limited,
                RoomTimeline.Token(timeline.FirstOrDefault() is { } first ? first.Seq - 1 : upto)),
            State = new EventList(state),
            AccountData = EventList.Empty,
            UnreadNotifications = new UnreadNotifications(0, 0),
            Summary = new RoomSummary(joined.Count, invited, joined.Where(u => u != request.Device.UserId).Take(5).ToList()),
        };
    }

    /// <summary>
    /// The room under `leave`: its events in the range up to and including the user's last leave or ban, nothing after
    /// (with <paramref name="afterJoinOnly"/>, only a leave that ended a join counts). Null when there is none.
    /// </summary>
    static LeftRoom? LeftSection(List<SequencedEvent> roomEvents, string user, long upto, SyncRequest request, bool afterJoinOnly)
    {
        var cut = roomEvents.FindLastIndex(e => e.Event.Type == EventTypes.Member && e.Event.StateKey == user
                                                && e.Event.ContentObject().String("membership") is Memberships.Leave or Memberships.Ban
                                                && (!afterJoinOnly || WasJoined(e.Event)));
        if (cut < 0) return null;
        var visible = roomEvents.Take(cut + 1).ToList();
        return new LeftRoom(Timeline(visible, false, visible.FirstOrDefault()?.Seq - 1 ?? upto, request), EventList.Empty, EventList.Empty);
    }

    static bool WasJoined(RoomEvent memberEvent) =>
        memberEvent.PrevContent is { } prev && JsonNode.Parse(prev)?["membership"]?.GetValue<string>() == Memberships.Join;

    /// <summary>With lazy-loading, only the members who sent something in the timeline (and yourself).</summary>
    static bool Wanted(SyncRequest request, RoomState room, string type, string key, List<SequencedEvent> timeline) =>
        type != EventTypes.Member || !request.Options.LazyLoadMembers
        || key == request.Device.UserId || timeline.Any(t => t.Event.Sender == key);

    static SyncTimeline Timeline(List<SequencedEvent> events, bool limited, long prevBatch, SyncRequest request) =>
        new(events.Select(e => e.Event.ToClientEvent(request.Now, request.Device.DeviceId)).ToList(), limited, RoomTimeline.Token(prevBatch));

    static List<JsonObject> StrippedState(RoomState room, string user)
    {
        string[] types = [EventTypes.Create, EventTypes.JoinRules, EventTypes.Name, "m.room.avatar", EventTypes.Encryption, EventTypes.CanonicalAlias, EventTypes.Topic];
        var stripped = new List<JsonObject>();
        foreach (var (type, key, entry) in room.All())
        {
            var relevant = (types.Contains(type) && key == "") || (type == EventTypes.Member && (key == user || key == entry.Sender));
            if (!relevant) continue;
            stripped.Add(new JsonObject
            {
                ["type"] = type, ["state_key"] = key, ["sender"] = entry.Sender, ["content"] = JsonNode.Parse(entry.Content),
            });
        }
        return stripped;
    }

    static JsonObject ReceiptEvent(List<ReceiptSent> receipts)
    {
        var content = new JsonObject();
        foreach (var r in receipts)
        {
            var byEvent = content[r.EventId] as JsonObject ?? (JsonObject)(content[r.EventId] = new JsonObject())!;
            var byType = byEvent[r.ReceiptType] as JsonObject ?? (JsonObject)(byEvent[r.ReceiptType] = new JsonObject())!;
            var receipt = new JsonObject { ["ts"] = r.Ts };
            if (r.ThreadId is not null) receipt["thread_id"] = r.ThreadId;
            byType[r.UserId] = receipt;
        }
        return new JsonObject { ["type"] = "m.receipt", ["content"] = content };
    }

    static async Task<long> LatestAsync(IQuerySession session, IReadOnlyCollection<string> streams, CancellationToken ct)
    {
        var keys = streams.ToArray();
        var latest = await session.Events.QueryAllRawEvents()
            .Where(e => keys.Contains(e.StreamKey!))
            .OrderByDescending(e => e.Sequence)
            .Select(e => e.Sequence)
            .Take(1)
            .ToListAsync(ct);
        return latest.Count > 0 ? latest[0] : 0;
    }
}

/// <summary>What the client asked for.</summary>
public sealed record SyncRequest(DeviceRef Device, SyncToken? Since, bool FullState, SyncFilter Options, long Now);

/// <summary>What one sync read: events after `Since` up to `Upto` on all the user's streams.</summary>
public sealed record SyncContext(SyncRequest Request, IReadOnlyList<IEvent> Events, long Since, long Upto,
    IReadOnlyList<RoomMember> Memberships, IReadOnlyDictionary<string, RoomState> Rooms);

/// <summary>The stream keys one sync reads; contributors add theirs (account data, to-device, device lists).</summary>
public sealed class SyncStreamSet
{
    readonly HashSet<string> _keys = [];
    public IReadOnlyCollection<string> Keys => _keys;

    public SyncStreamSet(string userId, string deviceId, IEnumerable<string> roomIds)
    {
        foreach (var room in roomIds)
        {
            _keys.Add(SyncStreams.Room(room));
            _keys.Add(SyncStreams.Receipts(room));
        }
    }

    public void Add(string key) => _keys.Add(key);
}

/// <summary>A module's part of /sync (account data, to-device, E2EE key counts...).</summary>
public interface ISyncContributor
{
    Task AddStreamsAsync(IQuerySession session, SyncRequest request, SyncStreamSet streams, CancellationToken ct);

    /// <summary>Writes into the response; returns whether it added anything new for an incremental sync.</summary>
    Task<bool> ContributeAsync(IQuerySession session, SyncContext context, SyncResponse response, CancellationToken ct);
}
