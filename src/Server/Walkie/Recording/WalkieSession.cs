using WalkieTalkie.Server.Walkie.Stream;
using System.Globalization;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>One speaker's share of a walkie session.</summary>
public sealed record SessionSpeaker(string UserId, long DurationMs, int Bursts);

/// <summary>
/// The current walkie session of a room (Marten document, id = room id): a run of recorded bursts with gaps shorter than
/// the room's <c>session_gap_ms</c>, threaded under one root notice. Read and written in the room's write transaction, so
/// every server process sees the same session, and a restarted one continues it.
/// </summary>
/// <param name="RootEventId">The session's root <c>m.notice</c>, sent as <paramref name="RootSender"/> (edits must come from the same sender).</param>
/// <param name="LastEventId">The latest voice message of the thread: the reply fallback of the next one.</param>
public sealed record WalkieSession(string Id, string RootEventId, string RootSender, DateTimeOffset StartedAt, DateTimeOffset LastEndedAt,
    string LastEventId, IReadOnlyList<SessionSpeaker> Speakers)
{
    public long DurationMs => Speakers.Sum(s => s.DurationMs);
    public int Bursts => Speakers.Sum(s => s.Bursts);

    /// <summary>
    /// Whether a burst belongs to this session: it started less than the gap after the session's last burst ended (a
    /// burst posted late, out of order, counts as inside), and the root's sender can still edit the root.
    /// </summary>
    public bool Continues(BurstSummary burst, long sessionGapMs, bool rootSenderJoined) =>
        rootSenderJoined && burst.StartedAt - LastEndedAt < TimeSpan.FromMilliseconds(sessionGapMs);

    /// <summary>A new session whose root is about to be sent as the burst's speaker.</summary>
    public static WalkieSession Start(string roomId, string rootEventId, BurstSummary burst, long durationMs, string eventId) =>
        new(roomId, rootEventId, burst.Speaker.UserId, burst.StartedAt, burst.EndedAt, eventId,
            [new SessionSpeaker(burst.Speaker.UserId, durationMs, 1)]);

    public WalkieSession With(BurstSummary burst, long durationMs, string eventId)
    {
        var speakers = Speakers.ToList();
        int i = speakers.FindIndex(s => s.UserId == burst.Speaker.UserId);
        if (i < 0) speakers.Add(new SessionSpeaker(burst.Speaker.UserId, durationMs, 1));
        else speakers[i] = speakers[i] with { DurationMs = speakers[i].DurationMs + durationMs, Bursts = speakers[i].Bursts + 1 };
        return this with
        {
            LastEndedAt = burst.EndedAt > LastEndedAt ? burst.EndedAt : LastEndedAt,
            LastEventId = eventId,
            Speakers = speakers,
        };
    }

    /// <summary>
    /// What the root says, readable as plain text by bridges and clients without walkie-talkie:
    /// "🎙 Walkie-talkie session: @alice:hs spoke 4.2 s", then "…: @alice:hs spoke 6.2 s, @bob:hs spoke 3.0 s (3 bursts, 9.2 s)".
    /// </summary>
    public string Summary()
    {
        var who = string.Join(", ", Speakers.Select(s => $"{s.UserId} spoke {Seconds(s.DurationMs)}"));
        return Bursts == 1 ? $"🎙 Walkie-talkie session: {who}" : $"🎙 Walkie-talkie session: {who} ({Bursts} bursts, {Seconds(DurationMs)})";
    }

    static string Seconds(long ms) => (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";
}

/// <summary>Marks a burst as posted (id "roomId|epoch"), in the same transaction as its voice message: a retry posts nothing twice.</summary>
public sealed record PostedBurst(string Id, string EventId, string MediaUri)
{
    public static string Key(string roomId, long epoch) => $"{roomId}|{epoch}";
}
