using WalkieTalkie.Server.Federation.Edus;
using WalkieTalkie.Server.Federation.Sending;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// The floor host tells every other server in the room of each decision, as EDU <c>org.matrix.msc4002.floor</c>
/// through the durable per-destination queue (in order, retried until the server takes it).
/// </summary>
public sealed class FloorEduSender(FederationSender sender, IRoomServers rooms, IDocumentStore store) : IFloorChangeListener
{
    public async ValueTask OnFloorChangedAsync(FloorChanged change, CancellationToken ct)
    {
        if (!change.Decided || change.State is null) return;
        var servers = await rooms.InRoomAsync(change.RoomId, ct);
        if (servers.Count == 0) return;
        var content = FloorWire.Edu(change.RoomId, change.State, change.Events, change.Version);
        await using var session = store.LightweightSession();
        foreach (var server in servers) sender.EnqueueEdu(session, server, FloorWire.EduType, content);
        await session.SaveChangesAsync(ct);
        foreach (var server in servers) sender.Wake(server);
    }
}
