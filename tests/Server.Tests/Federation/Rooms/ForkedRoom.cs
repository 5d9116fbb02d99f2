using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>
/// One server's view of a room in memory, as <see cref="RoomWriter"/> keeps it: stored PDUs (with the entry each replaced),
/// forward extremities and the current state. A remote branch is built on a copy of the state (<see cref="View"/>).
/// </summary>
public sealed class ForkedRoom
{
    public const string RoomId = "!room:hs1.test", Alice = "@alice:hs1.test", Bob = "@bob:hs2.test";
    public Dictionary<string, StoredPdu> Stored { get; } = [];
    public RoomState State { get; } = new() { Id = RoomId };
    public Dictionary<string, long> Extremities { get; } = [];
    long _ts = 1000;
    int _n;

    /// <summary>Alice's public room: Bob joined, at 50 (the default to send state).</summary>
    public static ForkedRoom WithAliceAndBob()
    {
        var room = new ForkedRoom();
        room.Local(Alice, EventTypes.Create, "", """{"creator":"@alice:hs1.test","room_version":"10"}""");
        room.Local(Alice, EventTypes.Member, Alice, """{"membership":"join"}""");
        room.Local(Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100,"@bob:hs2.test":50}}""");
        room.Local(Alice, EventTypes.JoinRules, "", """{"join_rule":"public"}""");
        room.Local(Alice, EventTypes.Topic, "", """{"topic":"before"}""");
        room.Local(Bob, EventTypes.Member, Bob, """{"membership":"join"}""");
        return room;
    }

    /// <summary>The current state as (type, state_key) → event id, to build another server's branch on.</summary>
    public Dictionary<(string, string), string> View() => State.All().ToDictionary(s => (s.Type, s.StateKey), s => s.Entry.EventId);

    /// <summary>An event this server appends on its extremities: it takes its entry.</summary>
    public string Local(string sender, string type, string? stateKey, string content, long? ts = null)
    {
        var (id, pdu) = Build(sender, type, stateKey, content, View(), Extremities.Keys.ToList(), ts);
        Append(id, pdu, takesState: true);
        return id;
    }

    /// <summary>An event of another server on <paramref name="prevs"/>, authorised on its <paramref name="view"/> (updated).</summary>
    public (string Id, JsonObject Pdu) Remote(string sender, string type, string? stateKey, string content,
        Dictionary<(string, string), string> view, IReadOnlyList<string> prevs, long? ts = null)
    {
        var (id, pdu) = Build(sender, type, stateKey, content, view, prevs, ts);
        if (stateKey is not null) view[(type, stateKey)] = id;
        return (id, pdu);
    }

    /// <summary>What <see cref="ConcurrentState"/> decides for a remote event (null: no fork).</summary>
    public Task<IReadOnlyDictionary<(string Type, string StateKey), string?>?> ResolveAsync((string Id, JsonObject Pdu) e) =>
        ConcurrentState.ResolveAsync(State, Extremities.Keys.ToList(), e.Id, e.Pdu,
            ids => Task.FromResult<IReadOnlyDictionary<string, StoredPdu>>(ids.Where(Stored.ContainsKey).Distinct().ToDictionary(id => id, id => Stored[id])),
            (_, _) => Task.CompletedTask, NullLogger.Instance);

    /// <summary>Stores a remote event as <see cref="RoomWriter"/> does: resolved entries when it forks, else its own.</summary>
    public async Task<IReadOnlyDictionary<(string Type, string StateKey), string?>?> ReceiveAsync((string Id, JsonObject Pdu) e)
    {
        var resolved = await ResolveAsync(e);
        Append(e.Id, e.Pdu, takesState: resolved is null);
        foreach (var ((type, key), id) in resolved ?? new Dictionary<(string, string), string?>())
            if (id is null) State.Remove(type, key);
            else State.Set(type, key, Entry(id));
        return resolved;
    }

    public string? Current(string type, string key) => State.Get(type, key)?.EventId;

    (string, JsonObject) Build(string sender, string type, string? stateKey, string content, IReadOnlyDictionary<(string, string), string> view,
        IReadOnlyList<string> prevs, long? ts)
    {
        var body = JsonNode.Parse(content)!.AsObject();
        var auth = AuthEventSelection.Keys(type, stateKey, sender, body).Select(k => view.GetValueOrDefault(k)).OfType<string>();
        var pdu = new JsonObject
        {
            ["room_id"] = RoomId, ["sender"] = sender, ["type"] = type, ["content"] = body, ["origin_server_ts"] = ts ?? _ts++,
            ["depth"] = prevs.Count == 0 ? 1 : prevs.Max(p => Stored[p].Depth) + 1,
            ["auth_events"] = new JsonArray(auth.Select(a => (JsonNode)a).ToArray()),
            ["prev_events"] = new JsonArray(prevs.Select(p => (JsonNode)p).ToArray()),
        };
        if (stateKey is not null) pdu["state_key"] = stateKey;
        return ($"$e{++_n}", pdu);
    }

    void Append(string id, JsonObject pdu, bool takesState)
    {
        var e = PduFactory.ToRoomEvent(pdu, id);
        var kept = e.StateKey is null ? null : State.Get(e.Type, e.StateKey);
        Stored[id] = new StoredPdu(id, RoomId, pdu.ToJsonString(), pdu["depth"]!.GetValue<long>(), false) { ReplacesState = kept?.EventId };
        foreach (var prev in pdu["prev_events"]!.AsArray()) Extremities.Remove(prev!.GetValue<string>());
        Extremities[id] = pdu["depth"]!.GetValue<long>();
        if (takesState && e.StateKey is not null) State.Set(e.Type, e.StateKey, Entry(id));
    }

    StateEntry Entry(string id)
    {
        var e = PduFactory.ToRoomEvent(Stored[id].Object(), id);
        return new StateEntry(id, e.Sender, e.Content, e.OriginServerTs);
    }
}
