using System.Text.Json;
using System.Text.Json.Nodes;
using WalkieTalkie.Server.Infrastructure.Sync;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// In-process notification after every committed floor change: the new view (as GET .../floor shows it), the events
/// that made it, and the floor stream's version after them (to order notifications that arrive out of order).
/// The live stream turns the events into <c>floor.granted</c>, <c>floor.revoked</c>, ... for its WebSockets.
/// </summary>
public sealed record FloorChanged(string RoomId, FloorView View, IReadOnlyList<FloorEvent> Events, long Version);

/// <summary>Something that reacts to floor changes in this process; registered in DI, called after commit.</summary>
public interface IFloorChangeListener
{
    ValueTask OnFloorChangedAsync(FloorChanged change, CancellationToken ct);
}

/// <summary>The JSON of a <see cref="FloorView"/>: one serializer for GET .../floor and the /sync ephemeral event.</summary>
public static class FloorJson
{
    static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static JsonObject ToJson(this FloorView view) => JsonSerializer.SerializeToNode(view, Options)!.AsObject();
}

/// <summary>Puts the floor into /sync as the room's ephemeral <c>org.matrix.msc4002.floor</c> event.</summary>
public sealed class PublishFloorToSync(EphemeralBoard board) : IFloorChangeListener
{
    public async ValueTask OnFloorChangedAsync(FloorChanged change, CancellationToken ct) =>
        await board.SetFloorAsync(change.RoomId, change.View.ToJson(), change.Version);
}
