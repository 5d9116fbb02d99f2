namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// Taking in one verified PDU of a room this server is in: its auth events must be known and allow it (receipt check
/// 4), then the current state must allow it (check 6, in <see cref="RoomWriter.AppendRemoteAsync"/>). Null when stored.
/// </summary>
public sealed class RemoteEvents(IDocumentStore store, RoomWriter writer)
{
    public IDocumentStore Store => store;

    /// <param name="forwardFrom">For send_join/send_leave: the resident server sends the event on to the others (not back to its origin).</param>
    public async Task<string?> AcceptAsync(VerifiedPdu pdu, CancellationToken ct, string? forwardFrom = null)
    {
        await using var session = store.QuerySession();
        if (await session.LoadAsync<StoredPdu>(pdu.EventId, ct) is { Outlier: false }) return null;
        var auth = await PduStore.LoadAsync(session, pdu.AuthEvents, ct);
        if (PduAuth.CheckAgainstAuthEvents(pdu, id => auth.TryGetValue(id, out var p) ? p.Object() : null) is { } reason)
            return $"auth events do not allow it: {reason}";
        var (_, rejected) = await writer.AppendRemoteAsync(pdu.RoomId, [(pdu.EventId, pdu.Pdu)], ct, forwardFrom);
        return rejected.TryGetValue(pdu.EventId, out var why) ? $"current state does not allow it: {why}" : null;
    }

    /// <summary>An auth event fetched on demand: kept (not in the timeline) when its own auth events are known and allow it.</summary>
    public async Task<string?> StoreOutlierAsync(VerifiedPdu pdu, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var auth = await PduStore.LoadAsync(session, pdu.AuthEvents, ct);
        if (PduAuth.CheckAgainstAuthEvents(pdu, id => auth.TryGetValue(id, out var p) ? p.Object() : null) is { } reason) return reason;
        if (await session.LoadAsync<StoredPdu>(pdu.EventId, ct) is not null) return null;
        session.Store(new StoredPdu(pdu.EventId, pdu.RoomId, pdu.Pdu.ToJsonString(), pdu.Depth, Outlier: true));
        await session.SaveChangesAsync(ct);
        return null;
    }

    public async Task<IReadOnlyList<string>> ExtremitiesAsync(string roomId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.LoadAsync<RoomDag>(roomId, ct))?.PrevEvents() ?? [];
    }

    /// <summary>The room's version, when this server knows the room.</summary>
    public async Task<string?> RoomVersionAsync(string roomId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.LoadAsync<RoomDag>(roomId, ct))?.RoomVersion;
    }
}
