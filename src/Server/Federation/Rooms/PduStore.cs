namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>Reading accepted PDUs: by id, auth chains, the state of a room as PDUs, the servers in a room.</summary>
public static class PduStore
{
    public static async Task<Dictionary<string, StoredPdu>> LoadAsync(IQuerySession session, IEnumerable<string> ids, CancellationToken ct)
    {
        var distinct = ids.Distinct().ToArray();
        if (distinct.Length == 0) return [];
        var found = await session.LoadManyAsync<StoredPdu>(ct, distinct);
        return found.Where(p => p is not null).ToDictionary(p => p.Id);
    }

    /// <summary>Every event reachable through `auth_events` from <paramref name="ids"/> (not including them), oldest first.</summary>
    public static async Task<List<StoredPdu>> AuthChainAsync(IQuerySession session, IEnumerable<string> ids, CancellationToken ct)
    {
        var chain = new Dictionary<string, StoredPdu>();
        var frontier = (await LoadAsync(session, ids, ct)).Values.SelectMany(AuthIds).ToHashSet();
        while (frontier.Count > 0)
        {
            var loaded = await LoadAsync(session, frontier.Where(id => !chain.ContainsKey(id)), ct);
            foreach (var (id, pdu) in loaded) chain[id] = pdu;
            frontier = loaded.Values.SelectMany(AuthIds).Where(id => !chain.ContainsKey(id)).ToHashSet();
        }
        return chain.Values.OrderBy(p => p.Depth).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
    }

    public static IEnumerable<string> AuthIds(StoredPdu pdu) =>
        pdu.Object()["auth_events"] is JsonArray a ? a.Select(x => x!.GetValue<string>()) : [];

    public static IEnumerable<string> PrevIds(StoredPdu pdu) =>
        pdu.Object()["prev_events"] is JsonArray a ? a.Select(x => x!.GetValue<string>()) : [];

    public static IEnumerable<string> StateIds(RoomState state) => state.All().Select(s => s.Entry.EventId);

    /// <summary>Servers with a joined member, this one included.</summary>
    public static IReadOnlyList<string> JoinedServers(RoomState state) =>
        state.UsersWithMembership(Memberships.Join).Select(PduVerifier.ServerOf).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Whether <paramref name="server"/> has (or had) a member in the room: what may read its events.</summary>
    public static bool ServerSeesRoom(RoomState state, string server) =>
        state.State.TryGetValue(EventTypes.Member, out var members)
        && members.Keys.Any(user => PduVerifier.ServerOf(user) == server
            && state.MembershipOf(user) is Memberships.Join or Memberships.Invite or Memberships.Leave);

    /// <summary>The room's state just before <paramref name="eventId"/>, by replaying its stream (the timeline is linear here).</summary>
    public static async Task<RoomState?> StateBeforeAsync(IQuerySession session, string roomId, string eventId, CancellationToken ct)
    {
        if (await session.LoadAsync<EventLocator>(eventId, ct) is not { } at || at.RoomId != roomId) return null;
        var events = await session.Events.FetchStreamAsync(Infrastructure.Sync.SyncStreams.Room(roomId), version: at.Version - 1, token: ct);
        return RoomState.Replay(roomId, events.Select(e => e.Data).OfType<RoomEvent>());
    }

    /// <summary>The PDUs as sent over federation, in the order given.</summary>
    public static IReadOnlyList<JsonObject> Objects(IEnumerable<StoredPdu> pdus) => pdus.Select(p => p.Object()).ToList();
}
