namespace WalkieTalkie.Client.Matrix;

/// <summary>A <c>/sync</c> answer: the raw body plus the few views a walkie-talkie client reads.</summary>
public sealed class SyncResponse(JsonObject body)
{
    public JsonObject Body { get; } = body;

    public string NextBatch => Body.RequireString("next_batch", "sync");

    public IEnumerable<string> JoinedRooms => Joined?.Select(r => r.Key) ?? [];

    /// <summary>Timeline events of a joined room in this batch.</summary>
    public IEnumerable<JsonObject> Timeline(string roomId) => Events(roomId, "timeline");

    /// <summary>Ephemeral events of a joined room in this batch (the floor appears here as <c>org.matrix.msc4002.floor</c>).</summary>
    public IEnumerable<JsonObject> Ephemeral(string roomId) => Events(roomId, "ephemeral");

    /// <summary>State events of a joined room in this batch (before the timeline).</summary>
    public IEnumerable<JsonObject> State(string roomId) => Events(roomId, "state");

    private JsonObject? Joined => Body.Object("rooms")?.Object("join");

    private IEnumerable<JsonObject> Events(string roomId, string section) =>
        (Joined?.Object(roomId)?.Object(section)?["events"] as JsonArray)?.OfType<JsonObject>() ?? [];
}
