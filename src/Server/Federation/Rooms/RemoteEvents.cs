using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// Taking in one verified PDU of a room this server is in: its auth events must be known and allow it (receipt check
/// 4), then the current state must allow it (check 6, in <see cref="RoomWriter.AppendRemoteAsync"/>). Null when stored.
/// </summary>
public sealed class RemoteEvents(IDocumentStore store, RoomWriter writer)
{
    public async Task<string?> AcceptAsync(VerifiedPdu pdu, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        if (await session.LoadAsync<StoredPdu>(pdu.EventId, ct) is { Outlier: false }) return null;
        var auth = await PduStore.LoadAsync(session, pdu.AuthEvents, ct);
        if (PduAuth.CheckAgainstAuthEvents(pdu, id => auth.TryGetValue(id, out var p) ? p.Object() : null) is { } reason)
            return $"auth events do not allow it: {reason}";
        var (_, rejected) = await writer.AppendRemoteAsync(pdu.RoomId, [(pdu.EventId, pdu.Pdu)], ct);
        return rejected.TryGetValue(pdu.EventId, out var why) ? $"current state does not allow it: {why}" : null;
    }

    /// <summary>The room's version, when this server knows the room.</summary>
    public async Task<string?> RoomVersionAsync(string roomId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.LoadAsync<RoomDag>(roomId, ct))?.RoomVersion;
    }
}
