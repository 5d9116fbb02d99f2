using System.Threading.Channels;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// In-process notification after every committed floor change: the new view (as GET .../floor shows it), the events
/// that made it, and the floor stream's version after them (to order notifications that arrive out of order).
/// The live stream turns the events into <c>floor.granted</c>, <c>floor.revoked</c>, ... for its WebSockets.
/// </summary>
public sealed record FloorChanged(string RoomId, FloorView View, IReadOnlyList<FloorEvent> Events, long Version)
{
    /// <summary>The floor after the change (null when only the view is known).</summary>
    public FloorState? State { get; init; }

    /// <summary>False for a copy of another server's decision: the floor host tells the room's servers, nobody else.</summary>
    public bool Decided { get; init; } = true;
}

/// <summary>Something that reacts to floor changes in this process; registered in DI, called in commit order.</summary>
public interface IFloorChangeListener
{
    ValueTask OnFloorChangedAsync(FloorChanged change, CancellationToken ct);
}

/// <summary>
/// The queue of committed floor changes, in the order this process committed them. It knows no listeners, so the
/// floor (which publishes) and the listeners (which may send commands to the floor) do not depend on each other.
/// </summary>
public sealed class FloorChangeFeed
{
    readonly Channel<FloorChanged> _changes = Channel.CreateUnbounded<FloorChanged>(new UnboundedChannelOptions { SingleReader = true });

    public void Publish(FloorChanged change) => _changes.Writer.TryWrite(change);

    public ChannelReader<FloorChanged> Reader => _changes.Reader;
}

/// <summary>
/// Hands committed floor changes to the listeners off the request path, one at a time in commit order; a listener's
/// failure is logged and never reaches the client whose decision is already committed.
/// </summary>
public sealed class FloorChangeDispatcher(FloorChangeFeed feed, IEnumerable<IFloorChangeListener> listeners,
    ILogger<FloorChangeDispatcher> logger) : BackgroundService
{
    readonly IFloorChangeListener[] _listeners = listeners.ToArray();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in feed.Reader.ReadAllAsync(stoppingToken))
                foreach (var listener in _listeners)
                {
                    try { await listener.OnFloorChangedAsync(change, stoppingToken); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogWarning(e, "Floor listener {Listener} failed on {Room}", listener.GetType().Name, change.RoomId);
                    }
                }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
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
        await board.SetAsync(change.RoomId, FloorEventType, change.View.ToJson(), change.Version);

    const string FloorEventType = "org.matrix.msc4002.floor";
}
