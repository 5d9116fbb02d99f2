namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// What the endpoints reading a room over federation share (GetEvent, GetState, Backfill, GetMissingEvents): only servers
/// that have (or had) a member may read, and walking back the event graph.
/// </summary>
public static class RoomReads
{
    public const int MaxLimit = 100;

    /// <summary>Why the requesting server may not read the room, or null when it may.</summary>
    public static async Task<MatrixError?> RefusalAsync(IQuerySession q, string roomId, HttpContext http, CancellationToken ct)
    {
        var room = await RoomStates.LoadAsync(q, roomId, ct);
        if (room is null || !room.Exists) return MatrixError.NotFound("Unknown room");
        return PduStore.ServerSeesRoom(room, http.FederationOrigin()) ? null : MatrixError.Forbidden("Your server has no member in this room");
    }

    /// <summary>Breadth-first through prev_events from <paramref name="start"/>, newest first, not past <paramref name="stop"/>.</summary>
    public static async Task<List<StoredPdu>> WalkBackAsync(IQuerySession q, string roomId, IEnumerable<string> start, HashSet<string> stop, int limit,
        long minDepth, bool includeStart, CancellationToken ct)
    {
        var seen = new HashSet<string>(stop);
        var found = new List<StoredPdu>();
        var frontier = new List<string>();
        var first = await PduStore.LoadAsync(q, start, ct);
        foreach (var pdu in first.Values.Where(p => p.RoomId == roomId))
        {
            seen.Add(pdu.Id);
            if (includeStart) found.Add(pdu);
            frontier.AddRange(PduStore.PrevIds(pdu));
        }
        while (frontier.Count > 0 && found.Count < limit)
        {
            var next = await PduStore.LoadAsync(q, frontier.Where(seen.Add), ct);
            frontier = [];
            foreach (var pdu in next.Values.Where(p => p.RoomId == roomId && !p.Outlier && p.Depth >= minDepth).OrderByDescending(p => p.Depth))
            {
                if (found.Count >= limit) break;
                found.Add(pdu);
                frontier.AddRange(PduStore.PrevIds(pdu));
            }
        }
        return found.Take(limit).ToList();
    }
}

/// <summary>The spec's Transaction as /event and /backfill answer it: this server, its time, the PDUs.</summary>
public sealed record PduTransaction(string Origin, long OriginServerTs, IReadOnlyList<JsonObject> Pdus)
{
    public static PduTransaction Of(string origin, TimeProvider clock, IEnumerable<StoredPdu> pdus) =>
        new(origin, clock.GetUtcNow().ToUnixTimeMilliseconds(), PduStore.Objects(pdus));
}
