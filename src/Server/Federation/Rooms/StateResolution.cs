using Key = (string Type, string StateKey);

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// State resolution v2 (room versions 2-11, spec rooms/v2 "State resolution"): the one state that follows from several
/// room states, decided from the states and the events alone (no I/O). The auth rules are <see cref="RoomAuth"/>'s,
/// checked against a state built from the partially resolved state and the event's own auth events.
/// </summary>
public static class StateResolution
{
    /// <param name="states">The states to resolve, (type, state_key) → event id.</param>
    /// <param name="events">Accepted PDUs by event id: every event of the states and of their auth chains. An unknown id is
    /// left out (as Synapse does); a rejected event must not be offered.</param>
    public static Dictionary<Key, string> Resolve(string roomId, IReadOnlyList<IReadOnlyDictionary<Key, string>> states,
        Func<string, JsonObject?> events)
    {
        var known = new Events(roomId, events);
        var (unconflicted, conflicted) = Separate(states);
        if (conflicted.Count == 0) return unconflicted;

        var full = conflicted.Union(AuthDifference(states, known)).Where(id => known.Get(id) is not null).ToHashSet();
        var power = ReverseTopologicalPowerOrder(full.Where(id => IsPowerEvent(known.Get(id)!)), full, known);
        var resolved = IterativeAuthChecks(unconflicted, power, known);

        var powerSet = power.ToHashSet();
        var rest = MainlineOrder(full.Where(id => !powerSet.Contains(id)), resolved.GetValueOrDefault((EventTypes.PowerLevels, "")), known);
        resolved = IterativeAuthChecks(resolved, rest, known);

        foreach (var (key, id) in unconflicted) resolved[key] = id;
        return resolved;
    }

    /// <summary>A key whose event is the same in every state (and present in all) is unconflicted; every other value is conflicted.</summary>
    static (Dictionary<Key, string> Unconflicted, HashSet<string> Conflicted) Separate(IReadOnlyList<IReadOnlyDictionary<Key, string>> states)
    {
        var unconflicted = new Dictionary<Key, string>();
        var conflicted = new HashSet<string>();
        foreach (var key in states.SelectMany(s => s.Keys).Distinct())
        {
            var values = states.Select(s => s.GetValueOrDefault(key)).Distinct().ToList();
            if (values is [{ } only]) unconflicted[key] = only;
            else conflicted.UnionWith(values.OfType<string>());
        }
        return (unconflicted, conflicted);
    }

    /// <summary>The union of the states' full auth chains minus their intersection.</summary>
    static HashSet<string> AuthDifference(IReadOnlyList<IReadOnlyDictionary<Key, string>> states, Events known)
    {
        var chains = states.Select(s => known.AuthChain(s.Values)).ToList();
        var union = chains.SelectMany(c => c).ToHashSet();
        var common = new HashSet<string>(chains[0]);
        foreach (var chain in chains.Skip(1)) common.IntersectWith(chain);
        union.ExceptWith(common);
        return union;
    }

    /// <summary>Power levels, join rules and create events, and kicks and bans: the events that may take a right away.</summary>
    static bool IsPowerEvent(StateEvent e) => e.Event.StateKey switch
    {
        null => false,
        "" when e.Event.Type is EventTypes.PowerLevels or EventTypes.JoinRules or EventTypes.Create => true,
        var target => e.Event.Type == EventTypes.Member && e.Content.String("membership") is Memberships.Leave or Memberships.Ban
            && e.Event.Sender != target,
    };

    /// <summary>
    /// The power events and the events of their auth chains within the full conflicted set, sorted by Kahn's algorithm on
    /// their auth events, choosing among the ready ones the sender of greater power, then the older, then the smaller id.
    /// </summary>
    static List<string> ReverseTopologicalPowerOrder(IEnumerable<string> power, HashSet<string> full, Events known)
    {
        var graph = new Dictionary<string, IReadOnlyCollection<string>>();
        var pending = new Stack<string>(power);
        while (pending.TryPop(out var id))
        {
            if (graph.ContainsKey(id)) continue;
            var edges = known.Get(id)!.AuthEvents.Where(full.Contains).ToHashSet();
            graph[id] = edges;
            foreach (var auth in edges.Where(a => !graph.ContainsKey(a))) pending.Push(auth);
        }
        var order = graph.Keys.ToDictionary(id => id, id => (Power: -SenderPower(known.Get(id)!, known), known.Get(id)!.Event.OriginServerTs));
        return TopologicalOrder(graph, Comparer<string>.Create((x, y) =>
            order[x].CompareTo(order[y]) is var c && c != 0 ? c : string.CompareOrdinal(x, y)));
    }

    /// <summary>
    /// Kahn's algorithm, auth events first: a node is ready once all its edges (within the graph) are out; among the ready
    /// ones the smallest by <paramref name="order"/> goes next. Nodes on a cycle (impossible with hashed ids) are left out.
    /// </summary>
    internal static List<string> TopologicalOrder(IReadOnlyDictionary<string, IReadOnlyCollection<string>> graph, IComparer<string> order)
    {
        var waitingOn = graph.ToDictionary(n => n.Key, n => n.Value.Count(graph.ContainsKey));
        var dependents = graph.Keys.ToDictionary(n => n, _ => new List<string>());
        foreach (var (node, edges) in graph)
            foreach (var edge in edges.Where(graph.ContainsKey).Distinct())
                dependents[edge].Add(node);
        var ready = new PriorityQueue<string, string>(order);
        foreach (var (node, count) in waitingOn.Where(w => w.Value == 0)) ready.Enqueue(node, node);
        var sorted = new List<string>(graph.Count);
        while (ready.TryDequeue(out var node, out _))
        {
            sorted.Add(node);
            foreach (var dependent in dependents[node])
                if (--waitingOn[dependent] == 0) ready.Enqueue(dependent, dependent);
        }
        return sorted;
    }

    /// <summary>The sender's power level by the event's own auth events (the creator has 100 without power levels).</summary>
    static long SenderPower(StateEvent e, Events known)
    {
        var auth = e.AuthEvents.Select(known.Get).OfType<StateEvent>().ToList();
        var levels = auth.FirstOrDefault(a => a.Is(EventTypes.PowerLevels));
        var create = auth.FirstOrDefault(a => a.Is(EventTypes.Create));
        return PowerLevels.From(levels?.Content, create?.Content.String("creator") ?? create?.Event.Sender).Of(e.Event.Sender);
    }

    /// <summary>
    /// Each event in turn is checked against the state so far, each (type, state_key) the auth rules need taken from it,
    /// else from the event's own auth events; an allowed event takes its entry, a refused one is skipped.
    /// </summary>
    static Dictionary<Key, string> IterativeAuthChecks(IReadOnlyDictionary<Key, string> start, IEnumerable<string> ids, Events known)
    {
        var resolved = new Dictionary<Key, string>(start);
        foreach (var id in ids)
        {
            var e = known.Get(id)!;
            if (e.Event.StateKey is not { } stateKey) continue;
            var auth = new Dictionary<Key, StateEvent>();
            foreach (var a in e.AuthEvents.Select(known.Get).OfType<StateEvent>())
                if (a.Event.StateKey is { } k) auth[(a.Event.Type, k)] = a;
            foreach (var key in AuthEventSelection.Keys(e.Event.Type, stateKey, e.Event.Sender, e.Content))
                if (resolved.TryGetValue(key, out var current) && known.Get(current) is { } currentEvent) auth[key] = currentEvent;

            var create = auth.GetValueOrDefault((EventTypes.Create, ""));
            var onlyCreateBefore = e.PrevEvents is [var prev] && prev == create?.Event.EventId;
            if (RoomAuth.Check(AuthState(e.Event.RoomId, auth.Values), e.Event, onlyCreateBefore) is null) resolved[(e.Event.Type, stateKey)] = id;
        }
        return resolved;
    }

    /// <summary>The adapter to <see cref="RoomAuth"/>: a room state holding exactly these events.</summary>
    static RoomState AuthState(string roomId, IEnumerable<StateEvent> events)
    {
        var state = new RoomState { Id = roomId };
        foreach (var a in events)
            state.Set(a.Event.Type, a.Event.StateKey!, new StateEntry(a.Event.EventId, a.Event.Sender, a.Event.Content, a.Event.OriginServerTs));
        return state;
    }

    /// <summary>
    /// Sorted by mainline position (the power levels event of the mainline of <paramref name="powerLevels"/> an event's
    /// chain of power levels auth events reaches first; older first, none at all first of all), then origin_server_ts, then id.
    /// </summary>
    static List<string> MainlineOrder(IEnumerable<string> ids, string? powerLevels, Events known)
    {
        var mainline = new List<string>();
        for (var p = powerLevels is null ? null : known.Get(powerLevels); p is not null && !mainline.Contains(p.Event.EventId); p = PowerLevelsOf(p, known))
            mainline.Add(p.Event.EventId);
        // The resolved power levels is the newest: depth n, the first in the room 1, an event reaching none 0.
        var depthOf = mainline.Select((id, i) => (id, Depth: mainline.Count - i)).ToDictionary(m => m.id, m => m.Depth);

        int MainlineDepth(StateEvent e)
        {
            var seen = new HashSet<string>();
            for (var x = e; x is not null && seen.Add(x.Event.EventId); x = PowerLevelsOf(x, known))
                if (depthOf.TryGetValue(x.Event.EventId, out var depth)) return depth;
            return 0;
        }

        return ids.Select(id => known.Get(id)!)
            .Select(e => (e.Event.EventId, Depth: MainlineDepth(e), e.Event.OriginServerTs))
            .OrderBy(e => e.Depth).ThenBy(e => e.OriginServerTs).ThenBy(e => e.EventId, StringComparer.Ordinal)
            .Select(e => e.EventId).ToList();
    }

    static StateEvent? PowerLevelsOf(StateEvent e, Events known) =>
        e.AuthEvents.Select(known.Get).OfType<StateEvent>().FirstOrDefault(a => a.Is(EventTypes.PowerLevels));

    /// <summary>A PDU as the algorithm reads it.</summary>
    sealed record StateEvent(RoomEvent Event, JsonObject Content, IReadOnlyList<string> AuthEvents, IReadOnlyList<string> PrevEvents)
    {
        public bool Is(string type) => Event.Type == type && Event.StateKey == "";
    }

    /// <summary>The lookup, parsed once per event; events of other rooms and malformed ones count as unknown.</summary>
    sealed class Events(string roomId, Func<string, JsonObject?> lookup)
    {
        readonly Dictionary<string, StateEvent?> _parsed = [];

        public StateEvent? Get(string id)
        {
            if (_parsed.TryGetValue(id, out var known)) return known;
            return _parsed[id] = Parse(id, lookup(id));
        }

        StateEvent? Parse(string id, JsonObject? pdu)
        {
            if (pdu is null || pdu.String("room_id") != roomId || pdu.String("type") is null || pdu.String("sender") is null) return null;
            var content = pdu["content"] as JsonObject ?? [];
            return new StateEvent(PduFactory.ToRoomEvent(pdu, id), content, Ids(pdu["auth_events"]), Ids(pdu["prev_events"]));
        }

        static List<string> Ids(JsonNode? node) =>
            node is JsonArray a ? a.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList() : [];

        /// <summary>Every event reachable through auth_events from <paramref name="ids"/> (not including them unless reached).</summary>
        public HashSet<string> AuthChain(IEnumerable<string> ids)
        {
            var chain = new HashSet<string>();
            var pending = new Stack<string>(ids.SelectMany(id => Get(id)?.AuthEvents ?? []));
            while (pending.TryPop(out var id))
                if (chain.Add(id))
                    foreach (var auth in Get(id)?.AuthEvents ?? []) pending.Push(auth);
            return chain;
        }
    }
}
