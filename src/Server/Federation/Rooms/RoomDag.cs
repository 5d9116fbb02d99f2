namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// The room's event graph as far as new events need it (Marten document, id = room id): its version and its forward
/// extremities (events nothing else cites yet) with their depths. Written in the same transaction as the events.
/// </summary>
public sealed class RoomDag
{
    /// <summary>At most this many prev_events per new event (the spec allows 20).</summary>
    public const int MaxPrevEvents = 10;

    public string Id { get; set; } = "";
    public string RoomVersion { get; set; } = RoomVersions.Default;
    public Dictionary<string, long> Extremities { get; set; } = [];

    /// <summary>The depth of a new event citing the current extremities.</summary>
    public long NextDepth => Extremities.Count == 0 ? 1 : Extremities.Values.Max() + 1;

    /// <summary>The newest extremities, the prev_events of a new local event.</summary>
    public List<string> PrevEvents() =>
        Extremities.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Take(MaxPrevEvents).Select(e => e.Key).ToList();

    /// <summary>An event joins the graph: what it cites stops being an extremity, it becomes one.</summary>
    public void Add(string eventId, long depth, IEnumerable<string> prevEvents)
    {
        foreach (var prev in prevEvents) Extremities.Remove(prev);
        Extremities[eventId] = depth;
    }
}

/// <summary>Every PDU this server accepted, by event id (Marten document): what federation serves and auth checks read.</summary>
/// <param name="Outlier">Known (state or auth chain of a joined room) but not in the room's timeline stream.</param>
public sealed record StoredPdu(string Id, string RoomId, string Json, long Depth, bool Outlier)
{
    /// <summary>The state entry of its (type, state_key) when it was appended (whether it took it or not): the way back past a fork.</summary>
    public string? ReplacesState { get; init; }

    public JsonObject Object() => JsonNode.Parse(Json)!.AsObject();
}
