using WalkieTalkie.Server.Federation.Receiving;
using WalkieTalkie.Server.Walkie.Config;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// <c>org.matrix.msc4002.floor</c> in: a decision of the room's floor host, copied into this server's floor stream and
/// snapshot (so GET .../floor, /sync, the live stream and a later change of host all see it) and published to this
/// server's listeners. Taken only from the server this server's room state names as the floor host, and only newer
/// than the last copy from it.
/// </summary>
public sealed class FloorEduReceiver(IDocumentStore store, FloorChangeFeed changes, IOptions<MatrixOptions> matrix,
    ILogger<FloorEduReceiver> logger) : IIncomingEdu
{
    public string EduType => FloorWire.EduType;

    public async Task HandleAsync(string origin, JsonObject content, CancellationToken ct)
    {
        var (roomId, version, floor, events) = FloorWire.ParseEdu(content);
        await using var session = store.LightweightSession();
        var room = await session.LoadAsync<RoomState>(roomId, ct);
        var host = room is null ? null : FloorHost.Of(room, WalkieConfig.Of(room));
        if (host is null || !FloorHost.IsLocal(host, origin) || FloorHost.IsLocal(host, matrix.Value.ServerName))
        {
            logger.LogInformation("Floor EDU for {Room} from {Origin} ignored: the floor host here is {Host}", roomId, origin, host);
            return;
        }

        var streamId = FloorStream.Id(roomId);
        var snapshot = await session.LoadAsync<FloorSnapshot>(streamId, ct);
        if (snapshot?.Host is { } copiedFrom && FloorHost.IsLocal(copiedFrom, origin) && version <= snapshot.HostVersion) return;
        var local = (snapshot?.Version ?? 0) + events.Count;
        if (events.Count > 0)
        {
            if (snapshot is null) session.Events.StartStream(streamId, events.Cast<object>().ToArray());
            else session.Events.Append(streamId, local, events.Cast<object>().ToArray());
        }
        var copy = FloorSnapshot.From(roomId, floor, local);
        (copy.Host, copy.HostVersion) = (origin, version);
        session.Store(copy);
        await session.SaveChangesAsync(ct);
        changes.Publish(new FloorChanged(roomId, FloorView.From(floor) with { FloorHost = origin }, events, local) { State = floor, Decided = false });
    }
}
