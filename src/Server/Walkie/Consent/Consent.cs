namespace WalkieTalkie.Server.Walkie.Consent;

public static class ConsentStream
{
    public static string Id(string roomId, DeviceRef device) => $"consent:{roomId}:{device.UserId}:{device.DeviceId}";
}

public enum WithdrawReason { Withdrawn, LeftRoom, LoggedOut, DeviceDeleted }

// ---- Events

public abstract record ConsentEvent(string RoomId, DeviceRef Device, DateTimeOffset At);

/// <summary>Also a renewal or replacement: the latest ConsentGiven is the consent.</summary>
public sealed record ConsentGiven(string RoomId, DeviceRef Device, DateTimeOffset At, DateTimeOffset? ExpiresAt)
    : ConsentEvent(RoomId, Device, At);

public sealed record ConsentWithdrawn(string RoomId, DeviceRef Device, DateTimeOffset At, WithdrawReason Reason)
    : ConsentEvent(RoomId, Device, At);

public sealed record ConsentExpired(string RoomId, DeviceRef Device, DateTimeOffset At, DateTimeOffset ExpiresAt)
    : ConsentEvent(RoomId, Device, At);

// ---- State of one (room, device)

public abstract record Consent
{
    Consent() { } // private: the set of states is closed

    public static Consent Initial { get; } = new None();

    public sealed record None : Consent;

    /// <summary><paramref name="ExpiresAt"/> null = permanent.</summary>
    public sealed record Active(DateTimeOffset GrantedAt, DateTimeOffset? ExpiresAt) : Consent;
}

// ---- Commands

public abstract record ConsentCommand(string RoomId, DeviceRef Device);

/// <summary><paramref name="Duration"/> null = permanent; otherwise in (0, <see cref="ConsentDecider.MaxDuration"/>].</summary>
public sealed record GiveConsent(string RoomId, DeviceRef Device, TimeSpan? Duration) : ConsentCommand(RoomId, Device);

public sealed record WithdrawConsent(string RoomId, DeviceRef Device, WithdrawReason Reason) : ConsentCommand(RoomId, Device);

/// <summary>The expiry timer, carrying the ExpiresAt it was scheduled for.</summary>
public sealed record ExpireConsent(string RoomId, DeviceRef Device, DateTimeOffset DueAt) : ConsentCommand(RoomId, Device);

/// <summary>A duration outside (0, 30 days]; the handler answers M_INVALID_PARAM.</summary>
public sealed class InvalidConsentDuration(TimeSpan duration) : Exception(
    $"duration_ms must be between 1 and {(long)ConsentDecider.MaxDuration.TotalMilliseconds}, not {(long)duration.TotalMilliseconds}")
{
    public TimeSpan Duration { get; } = duration;
}

public static class ConsentDecider
{
    /// <summary>Longest timed consent; permanent consent is the way to listen for longer.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    public static ConsentEvent[] Decide(ConsentCommand command, Consent state, DateTimeOffset now) => (command, state) switch
    {
        (GiveConsent { Duration: { } d }, _) when d <= TimeSpan.Zero || d > MaxDuration => throw new InvalidConsentDuration(d),
        (GiveConsent c, _) => [new ConsentGiven(c.RoomId, c.Device, now, c.Duration is { } d ? WholeMilliseconds(now + d) : null)],
        (WithdrawConsent c, Consent.Active) => [new ConsentWithdrawn(c.RoomId, c.Device, now, c.Reason)],
        // A renewal changed ExpiresAt, which turns the old timer into a no-op.
        (ExpireConsent c, Consent.Active { ExpiresAt: { } due }) when due == c.DueAt && now >= due =>
            [new ConsentExpired(c.RoomId, c.Device, now, due)],
        _ => [],
    };

    public static Consent Evolve(Consent state, ConsentEvent e) => (state, e) switch
    {
        (_, ConsentGiven g) => new Consent.Active(g.At, g.ExpiresAt),
        (Consent.Active, ConsentWithdrawn) => new Consent.None(),
        (Consent.Active { ExpiresAt: { } due }, ConsentExpired x) when due == x.ExpiresAt => new Consent.None(),
        _ => throw new InvalidOperationException($"Impossible consent history: {e} cannot follow {state}."),
    };

    public static Consent Replay(IEnumerable<ConsentEvent> events) => events.Aggregate(Consent.Initial, Evolve);

    /// <summary>Live = may request the floor and receive audio; a lapsed consent is dead before its timer fires.</summary>
    public static bool IsLive(Consent state, DateTimeOffset now) =>
        state is Consent.Active { ExpiresAt: var expires } && (expires is null || now < expires);

    // Whole milliseconds: expires_ts on the wire and the timer's DueAt then round-trip to the same value.
    static DateTimeOffset WholeMilliseconds(DateTimeOffset t) => t.AddTicks(-(t.Ticks % TimeSpan.TicksPerMillisecond));
}
