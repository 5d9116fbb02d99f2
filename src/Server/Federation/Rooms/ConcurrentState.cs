using Key = (string Type, string StateKey);

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// A remote state event that forks the room (its prev_events leave out some of the room's forward extremities): the room's
/// state becomes the <see cref="StateResolution"/> of the two branches, this server's (the current state) and the event's.
/// Only the keys set on either branch since they parted can differ, so the branch states are the current state with those
/// keys set to each branch's newest event for them, or to the value before the fork (followed back through
/// <see cref="StoredPdu.ReplacesState"/>). The walk back is bounded by <see cref="MaxWalk"/>, the auth chains by
/// <see cref="MaxAuthChain"/>; past either the event takes its entry as if it did not fork (logged).
/// </summary>
public static class ConcurrentState
{
    public const int MaxWalk = 2_000;
    public const int MaxAuthChain = 20_000;
    const int OnE = 1, OnOther = 2, OnBoth = OnE | OnOther;

    /// <summary>Accepted PDUs by id; the unknown ones are not in the answer.</summary>
    public delegate Task<IReadOnlyDictionary<string, StoredPdu>> Load(IReadOnlyCollection<string> ids);

    /// <summary>The resolved entry (null: none) of each key set on either branch; null when the event does not fork the room.</summary>
    public static async Task<IReadOnlyDictionary<Key, string?>?> ResolveAsync(IQuerySession session, RoomState state, RoomDag dag, string eventId,
        JsonObject pdu, ILogger logger, CancellationToken ct) =>
        await ResolveAsync(state, dag.Extremities.Keys, eventId, pdu,
            async ids => await PduStore.LoadAsync(session, ids, ct), (type, key) => RoomStates.LoadEntryAsync(session, state, type, key, ct), logger);

    /// <param name="loadEntry">Brings a (type, state key) entry into <paramref name="state"/> (per-entry types live apart).</param>
    public static async Task<IReadOnlyDictionary<Key, string?>?> ResolveAsync(RoomState state, IEnumerable<string> extremities, string eventId,
        JsonObject pdu, Load load, Func<string, string, Task> loadEntry, ILogger logger)
    {
        if (pdu.String("type") is not { } type || pdu.String("state_key") is not { } stateKey) return null;
        var prevs = Ids(pdu["prev_events"]);
        var others = extremities.Where(x => !prevs.Contains(x)).ToList();
        if (others.Count == 0) return null;

        var nodes = new Dictionary<string, StoredPdu>(await load(prevs));
        if (nodes.Count == 0)
        {
            logger.LogInformation("State event {Event} forks the room from events this server lacks: it takes its entry", eventId);
            return null;
        }
        if (await BranchesAsync(prevs, others, nodes, load) is not { } branches)
        {
            logger.LogWarning("State event {Event}: the branches do not meet within {Max} events; it takes its entry unresolved", eventId, MaxWalk);
            return null;
        }
        var (onlyE, onlyOther) = branches;

        // Each key set on either branch: its newest event there, else the value before the fork.
        var keyOf = onlyE.Concat(onlyOther).ToDictionary(id => id, id => KeyOf(nodes[id]));
        HashSet<Key> keys = keyOf.Values.OfType<Key>().Append((type, stateKey)).ToHashSet();
        foreach (var (t, k) in keys) await loadEntry(t, k);
        var branch = keyOf.Keys.ToHashSet();
        var stateE = state.All().ToDictionary(s => (s.Type, s.StateKey), s => s.Entry.EventId);
        var stateOther = new Dictionary<Key, string>(stateE);
        foreach (var key in keys)
        {
            var before = ValueBeforeFork(state.Get(key.Type, key.StateKey)?.EventId, branch, nodes);
            Set(stateOther, key, Newest(onlyOther.Where(id => keyOf[id] == key), nodes) ?? before);
            Set(stateE, key, key == (type, stateKey) ? eventId : Newest(onlyE.Where(id => keyOf[id] == key), nodes) ?? before);
        }
        if (keys.All(k => stateE.GetValueOrDefault(k) == stateOther.GetValueOrDefault(k)))
            return keys.ToDictionary(k => k, k => stateE.GetValueOrDefault(k));

        var pdus = nodes.ToDictionary(n => n.Key, n => n.Value.Object());
        pdus[eventId] = pdu;
        if (!await LoadAuthChainsAsync(stateE.Values.Concat(stateOther.Values), pdus, load))
        {
            logger.LogWarning("State event {Event}: the auth chains exceed {Max} events; it takes its entry unresolved", eventId, MaxAuthChain);
            return null;
        }
        var roomId = pdu.String("room_id") ?? state.Id;
        var resolved = StateResolution.Resolve(roomId, [stateOther, stateE], id => pdus.GetValueOrDefault(id));
        var result = keys.ToDictionary(k => k, k => resolved.TryGetValue(k, out var id) ? id : null);
        logger.LogInformation("State event {Event} forks {Room}: {E} event(s) on its branch, {Other} on ours; resolved {Keys}",
            eventId, roomId, onlyE.Count, onlyOther.Count, string.Join(", ", result.Select(r => $"{r.Key.Type}|{r.Key.StateKey}={r.Value ?? "none"}")));
        return result;
    }

    /// <summary>
    /// Walks back through prev_events, highest depth first, marking what the event's prev events and the other extremities
    /// reach, until all that is left is reached by both. Null past <see cref="MaxWalk"/> events.
    /// </summary>
    static async Task<(List<string> OnlyE, List<string> OnlyOther)?> BranchesAsync(List<string> prevs, List<string> others,
        Dictionary<string, StoredPdu> nodes, Load load)
    {
        var frontier = new Dictionary<string, int>();
        foreach (var p in prevs.Where(nodes.ContainsKey)) frontier[p] = OnE;
        foreach (var o in others) frontier[o] = frontier.GetValueOrDefault(o) | OnOther;
        var reached = new Dictionary<string, int>();
        var (onlyE, onlyOther) = (new List<string>(), new List<string>());
        while (frontier.Values.Any(s => s != OnBoth))
        {
            if (reached.Count >= MaxWalk) return null;
            var missing = frontier.Keys.Where(id => !nodes.ContainsKey(id)).ToList();
            if (missing.Count > 0)
                foreach (var (id, found) in await load(missing)) nodes[id] = found;
            foreach (var id in missing.Where(id => !nodes.ContainsKey(id))) frontier.Remove(id);
            if (frontier.Count == 0) break;
            var depth = frontier.Keys.Max(id => nodes[id].Depth);
            foreach (var (id, sides) in frontier.Where(f => nodes[f.Key].Depth == depth).ToList())
            {
                frontier.Remove(id);
                reached[id] = sides;
                if (sides == OnE) onlyE.Add(id);
                if (sides == OnOther) onlyOther.Add(id);
                foreach (var prev in PduStore.PrevIds(nodes[id]).Where(p => !reached.ContainsKey(p)))
                    frontier[prev] = frontier.GetValueOrDefault(prev) | sides;
            }
        }
        return (onlyE, onlyOther);
    }

    /// <summary>The current entry followed back past the events of either branch: the entry when they parted.</summary>
    static string? ValueBeforeFork(string? current, HashSet<string> branch, Dictionary<string, StoredPdu> nodes)
    {
        var seen = new HashSet<string>();
        while (current is not null && branch.Contains(current) && seen.Add(current)) current = nodes[current].ReplacesState;
        return current;
    }

    static string? Newest(IEnumerable<string> ids, Dictionary<string, StoredPdu> nodes) =>
        ids.OrderByDescending(id => nodes[id].Depth).ThenByDescending(id => nodes[id].Object()["origin_server_ts"]?.GetValue<long>() ?? 0)
            .ThenByDescending(id => id, StringComparer.Ordinal).FirstOrDefault();

    static void Set(Dictionary<Key, string> state, Key key, string? id)
    {
        if (id is null) state.Remove(key);
        else state[key] = id;
    }

    /// <summary>Adds every event of the states and of their auth chains to <paramref name="pdus"/>; false past <see cref="MaxAuthChain"/>.</summary>
    static async Task<bool> LoadAuthChainsAsync(IEnumerable<string> ids, Dictionary<string, JsonObject> pdus, Load load)
    {
        var expanded = new HashSet<string>();
        var wave = ids.ToHashSet();
        while (wave.Count > 0)
        {
            if (expanded.Count > MaxAuthChain) return false;
            var missing = wave.Where(id => !pdus.ContainsKey(id)).ToList();
            if (missing.Count > 0)
                foreach (var (id, found) in await load(missing)) pdus[id] = found.Object();
            expanded.UnionWith(wave);
            wave = wave.Where(pdus.ContainsKey).SelectMany(id => Ids(pdus[id]["auth_events"])).Where(id => !expanded.Contains(id)).ToHashSet();
        }
        return true;
    }

    static Key? KeyOf(StoredPdu pdu) =>
        pdu.Object() is var o && o.String("type") is { } type && o.String("state_key") is { } key ? (type, key) : null;

    static List<string> Ids(JsonNode? node) =>
        node is JsonArray a ? a.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList() : [];
}
