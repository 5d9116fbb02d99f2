using System.Text.Json.Nodes;
using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>
/// A room's event graph given as chains of prev_events (Synapse's tests/state/test_v2.py harness): events are built in
/// topological order (ties by node id), each citing as auth events what the auth-events selection picks from the state
/// before it; the state before an event with several prev events is their <see cref="StateResolution"/>.
/// </summary>
public sealed class StateGraph
{
    public const string Alice = "@alice:example.com", Bob = "@bob:example.com", Charlie = "@charlie:example.com",
        Evelyn = "@evelyn:example.com", Zara = "@zara:example.com";
    public const string RoomId = "!test:example.com";
    const string Join = """{"membership":"join"}""";

    /// <summary>The events every graph starts with, and their chain (newest first).</summary>
    static readonly Node[] Initial =
    [
        new("CREATE", Alice, EventTypes.Create, "", """{"creator":"@alice:example.com"}"""),
        new("IMA", Alice, EventTypes.Member, Alice, Join),
        new("IPOWER", Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:example.com":100}}"""),
        new("IJR", Alice, EventTypes.JoinRules, "", """{"join_rule":"public"}"""),
        new("IMB", Bob, EventTypes.Member, Bob, Join),
        new("IMC", Charlie, EventTypes.Member, Charlie, Join),
        new("IMZ", Zara, EventTypes.Member, Zara, Join),
        new("START", Zara, EventTypes.Message, null, "{}"),
        new("END", Zara, EventTypes.Message, null, "{}"),
    ];
    static readonly string[] InitialEdges = ["START", "IMZ", "IMC", "IMB", "IJR", "IPOWER", "IMA", "CREATE"];

    public sealed record Node(string Id, string Sender, string Type, string? StateKey, string Content);

    public Dictionary<string, JsonObject> Pdus { get; } = [];
    readonly Dictionary<string, Dictionary<(string, string), string>> _stateAfter = [];

    public static string EventId(string node) => $"${node}:example.com";

    /// <param name="edges">Chains of prev_events: ["END", "A", "B"] means END cites A and A cites B.</param>
    public StateGraph(IEnumerable<Node> events, IEnumerable<string[]> edges)
    {
        var nodes = Initial.Concat(events).ToDictionary(n => n.Id);
        var prevs = nodes.Keys.ToDictionary(n => n, _ => new HashSet<string>());
        foreach (var chain in edges.Prepend(InitialEdges))
            for (var i = 0; i + 1 < chain.Length; i++) prevs[chain[i]].Add(chain[i + 1]);

        var ts = 0L;
        var graph = prevs.ToDictionary(p => p.Key, p => (IReadOnlyCollection<string>)p.Value);
        foreach (var id in StateResolution.TopologicalOrder(graph, StringComparer.Ordinal))
        {
            var node = nodes[id];
            var before = prevs[id].Count switch
            {
                0 => [],
                1 => new Dictionary<(string, string), string>(_stateAfter[prevs[id].Single()]),
                _ => StateResolution.Resolve(RoomId, prevs[id].Select(p => (IReadOnlyDictionary<(string, string), string>)_stateAfter[p]).ToList(),
                    e => Pdus.GetValueOrDefault(e)),
            };
            var content = JsonNode.Parse(node.Content)!.AsObject();
            var auth = AuthEventSelection.Keys(node.Type, node.StateKey, node.Sender, content)
                .Select(k => before.GetValueOrDefault(k)).OfType<string>().Distinct();
            var pdu = new JsonObject
            {
                ["room_id"] = RoomId, ["sender"] = node.Sender, ["type"] = node.Type, ["content"] = content, ["origin_server_ts"] = ts++,
                ["auth_events"] = new JsonArray(auth.Select(a => (JsonNode)a).ToArray()),
                ["prev_events"] = new JsonArray(prevs[id].Select(p => (JsonNode)EventId(p)).ToArray()),
            };
            if (node.StateKey is not null)
            {
                pdu["state_key"] = node.StateKey;
                before[(node.Type, node.StateKey)] = EventId(id);
            }
            Pdus[EventId(id)] = pdu;
            _stateAfter[id] = before;
        }
    }

    public Dictionary<(string, string), string> StateAfter(string node) => _stateAfter[node];

    /// <summary>The state at END of what changed since START, and of the keys of <paramref name="expected"/>, as node ids.</summary>
    public SortedSet<string> ChangedAtEnd(params string[] expected)
    {
        var keys = expected.Select(n => (Pdus[EventId(n)].String("type")!, Pdus[EventId(n)].String("state_key")!)).ToHashSet();
        var start = _stateAfter["START"];
        return new(_stateAfter["END"].Where(s => keys.Contains(s.Key) || start.GetValueOrDefault(s.Key) != s.Value)
            .Select(s => s.Value[1..s.Value.IndexOf(':')]), StringComparer.Ordinal);
    }
}
