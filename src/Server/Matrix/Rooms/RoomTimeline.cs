using JasperFx.Events;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>A room event with its global sequence number (the position sync and pagination tokens speak of).</summary>
public sealed record SequencedEvent(long Seq, RoomEvent Event);

/// <summary>
/// Reading a room's timeline by global sequence. Token `s{N}` is the position just after sequence N:
/// backwards from it reads events with seq ≤ N, forwards reads seq > N.
/// </summary>
public static class RoomTimeline
{
    public static string Token(long seq) => $"s{seq}";

    public static bool TryParseToken(string? token, out long seq)
    {
        seq = 0;
        if (string.IsNullOrEmpty(token)) return false;
        var number = token.StartsWith('s') ? token[1..] : token;
        var underscore = number.IndexOf('_');
        if (underscore >= 0) number = number[..underscore];
        return long.TryParse(number, out seq) && seq >= 0;
    }

    public static async Task<IReadOnlyList<SequencedEvent>> BackwardsAsync(IQuerySession session, string roomId, long upToInclusive,
        int limit, CancellationToken ct)
    {
        var key = SyncStreams.Room(roomId);
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == key && e.Sequence <= upToInclusive)
            .OrderByDescending(e => e.Sequence)
            .Take(limit)
            .ToListAsync(ct);
        return events.Select(Sequenced).ToList();
    }

    public static async Task<IReadOnlyList<SequencedEvent>> ForwardsAsync(IQuerySession session, string roomId, long afterExclusive,
        long upToInclusive, int limit, CancellationToken ct)
    {
        var key = SyncStreams.Room(roomId);
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == key && e.Sequence > afterExclusive && e.Sequence <= upToInclusive)
            .OrderBy(e => e.Sequence)
            .Take(limit)
            .ToListAsync(ct);
        return events.Select(Sequenced).ToList();
    }

    static SequencedEvent Sequenced(IEvent e) => new(e.Sequence, (RoomEvent)e.Data);
}
