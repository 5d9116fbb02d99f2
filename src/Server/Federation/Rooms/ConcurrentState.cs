namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// What this server does on a fork (it does not implement state resolution v2): a remote state event replaces the current
/// entry for its (type, state_key) when that entry is among its ancestors; when the two are concurrent, the one with the
/// greater (depth, origin_server_ts, event id) wins. Every server compares the same two events the same way, so two
/// servers that see the same concurrent pair converge whatever order the events arrive in.
/// </summary>
public static class ConcurrentState
{
    const int MaxWalk = 2_000;

    public static bool Wins(long depth, long ts, string eventId, long otherDepth, long otherTs, string otherEventId) =>
        depth != otherDepth ? depth > otherDepth : ts != otherTs ? ts > otherTs : string.CompareOrdinal(eventId, otherEventId) > 0;

    public static async Task<bool> SupersedesAsync(IQuerySession session, string eventId, JsonObject pdu, string currentEventId, CancellationToken ct)
    {
        if (await session.LoadAsync<StoredPdu>(currentEventId, ct) is not { } current) return true;
        var prevs = pdu["prev_events"] is JsonArray a ? a.Select(p => p!.GetValue<string>()).ToList() : [];
        if (await IsAncestorAsync(session, currentEventId, current.Depth, prevs, ct)) return true;
        var currentPdu = current.Object();
        return Wins(pdu["depth"]?.GetValue<long>() ?? 0, pdu["origin_server_ts"]?.GetValue<long>() ?? 0, eventId,
            current.Depth, currentPdu["origin_server_ts"]?.GetValue<long>() ?? 0, currentEventId);
    }

    /// <summary>Whether <paramref name="target"/> is reachable through prev_events from <paramref name="from"/> (not below its depth).</summary>
    static async Task<bool> IsAncestorAsync(IQuerySession session, string target, long targetDepth, List<string> from, CancellationToken ct)
    {
        var seen = new HashSet<string>();
        var frontier = from;
        while (frontier.Count > 0 && seen.Count < MaxWalk)
        {
            if (frontier.Contains(target)) return true;
            var loaded = await PduStore.LoadAsync(session, frontier.Where(seen.Add), ct);
            frontier = loaded.Values.Where(p => p.Depth > targetDepth).SelectMany(PduStore.PrevIds).Where(id => !seen.Contains(id)).Distinct().ToList();
            if (loaded.Values.Any(p => PduStore.PrevIds(p).Contains(target))) return true;
        }
        return false;
    }
}
