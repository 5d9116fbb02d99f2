using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>The room's <c>org.matrix.msc4002.walkie_talkie</c> settings the floor needs; read by the handler.</summary>
public sealed record FloorSettings(bool Queue, int PreemptPowerLevel, TimeSpan MaxTalk, TimeSpan EndOfMedia)
{
    public static readonly FloorSettings Default = new(true, 50, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(4));
}

public static class FloorStream
{
    public static string Id(string roomId) => $"floor:{roomId}";
}

public enum GrantKind { Requested, QueueHandOver, Preemption }

public enum DenyReason { Taken }

public enum RevokeReason { MaxTalkTime, EndOfMedia, Preempted, ConsentExpired, ConsentRevoked, LeftRoom, Disconnected }

public enum LeaveReason { Released, ConsentExpired, ConsentRevoked, LeftRoom, SkippedIneligible }

/// <summary>Reason strings as they appear in <c>floor.idle</c>, <c>floor.revoked</c> and <c>floor.denied</c>.</summary>
public static class FloorReasons
{
    public const string Released = "released";

    public static string ToWire(this RevokeReason reason) => reason switch
    {
        RevokeReason.MaxTalkTime => "max_talk_time",
        RevokeReason.EndOfMedia => "end_of_media",
        RevokeReason.Preempted => "preempted",
        RevokeReason.ConsentExpired => "consent_expired",
        RevokeReason.ConsentRevoked => "consent_revoked",
        RevokeReason.LeftRoom => "left_room",
        RevokeReason.Disconnected => "disconnected",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    public static string ToWire(this DenyReason reason) => reason switch
    {
        DenyReason.Taken => "taken",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}

// ---- Events: past tense, each with the room, the actor and the server time it happened at.

public abstract record FloorEvent(string RoomId, DateTimeOffset At);

public sealed record FloorRequested(string RoomId, DeviceRef Device, FloorPriority Priority, DateTimeOffset At)
    : FloorEvent(RoomId, At);

public sealed record FloorGranted(string RoomId, DeviceRef Holder, long Epoch, DateTimeOffset At, DateTimeOffset ExpiresAt,
    TimeSpan EndOfMedia, GrantKind How) : FloorEvent(RoomId, At);

public sealed record FloorDenied(string RoomId, DeviceRef Requester, DenyReason Reason, DeviceRef Holder, DateTimeOffset At)
    : FloorEvent(RoomId, At);

public sealed record FloorQueued(string RoomId, DeviceRef Device, int Position, DateTimeOffset At) : FloorEvent(RoomId, At);

public sealed record FloorLeftQueue(string RoomId, DeviceRef Device, LeaveReason Reason, DateTimeOffset At)
    : FloorEvent(RoomId, At);

public sealed record FloorReleased(string RoomId, DeviceRef Holder, long Epoch, DateTimeOffset At) : FloorEvent(RoomId, At);

/// <summary><paramref name="By"/> is the pre-empting device when <paramref name="Reason"/> is <see cref="RevokeReason.Preempted"/>.</summary>
public sealed record FloorRevoked(string RoomId, DeviceRef Holder, long Epoch, RevokeReason Reason, DeviceRef? By,
    DateTimeOffset At) : FloorEvent(RoomId, At);

/// <summary><paramref name="Reason"/> is the wire string of the release or revoke that emptied the floor.</summary>
public sealed record FloorIdle(string RoomId, long Epoch, string Reason, DateTimeOffset At) : FloorEvent(RoomId, At);

// ---- State

public abstract record Floor
{
    Floor(long epoch) => Epoch = epoch; // private: the set of states is closed

    /// <summary>The epoch of the latest grant (0 before the first); every grant adds exactly one.</summary>
    public long Epoch { get; }

    public static Floor Initial { get; } = new Idle(0);

    public sealed record Idle(long Epoch) : Floor(Epoch);

    public sealed record Taken(DeviceRef Holder, long Epoch, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt,
        TimeSpan EndOfMedia, ImmutableList<DeviceRef> Queue) : Floor(Epoch)
    {
        public bool Equals(Taken? other) => other is not null && base.Equals(other) && Holder == other.Holder
            && GrantedAt == other.GrantedAt && ExpiresAt == other.ExpiresAt && EndOfMedia == other.EndOfMedia
            && Queue.SequenceEqual(other.Queue);

        public override int GetHashCode() => HashCode.Combine(Epoch, Holder, GrantedAt, ExpiresAt, EndOfMedia, Queue.Count);
    }

    /// <summary>
    /// Between a release/revoke and the hand-over that follows it in the same decision; a stored stream never ends here,
    /// because one decision is appended atomically.
    /// </summary>
    public sealed record Vacant(long Epoch, ImmutableList<DeviceRef> Queue) : Floor(Epoch)
    {
        public bool Equals(Vacant? other) => other is not null && base.Equals(other) && Queue.SequenceEqual(other.Queue);

        public override int GetHashCode() => HashCode.Combine(Epoch, Queue.Count);
    }
}

// ---- Commands: the handler looks up membership, consent and power levels and passes the answers in.

public abstract record FloorCommand(string RoomId);

/// <summary><paramref name="HolderPowerLevel"/> is the current holder's level; null (unknown) never lets anyone pre-empt.</summary>
public sealed record RequestFloor(string RoomId, DeviceRef Requester, FloorPriority Priority, int RequesterPowerLevel,
    int? HolderPowerLevel, FloorSettings Settings) : FloorCommand(RoomId);

public sealed record ReleaseFloor(string RoomId, DeviceRef Device, long Epoch, FloorSettings Settings,
    Func<DeviceRef, bool> Eligible) : FloorCommand(RoomId);

/// <summary>
/// Consent expired/revoked, left room or disconnected. A queued device that disconnects keeps its place (it may
/// reconnect; if promoted without a stream, end-of-media reclaims the floor); the other reasons take it out of the queue.
/// </summary>
public sealed record RevokeFloor(string RoomId, DeviceRef Device, RevokeReason Reason, FloorSettings Settings,
    Func<DeviceRef, bool> Eligible) : FloorCommand(RoomId);

/// <summary>The max-talk timer, scheduled for the epoch it was set for.</summary>
public sealed record CheckMaxTalk(string RoomId, long Epoch, FloorSettings Settings, Func<DeviceRef, bool> Eligible)
    : FloorCommand(RoomId);

/// <summary>The end-of-media timer; <paramref name="LastMediaAt"/> is when the holder's last audio frame arrived.</summary>
public sealed record CheckEndOfMedia(string RoomId, long Epoch, DateTimeOffset? LastMediaAt, FloorSettings Settings,
    Func<DeviceRef, bool> Eligible) : FloorCommand(RoomId);

public static class FloorDecider
{
    public static FloorEvent[] Decide(FloorCommand command, Floor state, DateTimeOffset now) => (command, state) switch
    {
        (_, Floor.Vacant) => throw new InvalidOperationException("The floor stream ends in the middle of a hand-over."),
        (RevokeFloor { Reason: RevokeReason.MaxTalkTime or RevokeReason.EndOfMedia or RevokeReason.Preempted } c, _) =>
            throw new ArgumentException($"{c.Reason} is decided by its own command, not by RevokeFloor.", nameof(command)),

        (RequestFloor c, _) => Request(c, state, now),

        (ReleaseFloor c, Floor.Taken t) when c.Device == t.Holder && c.Epoch == t.Epoch =>
            [new FloorReleased(c.RoomId, t.Holder, t.Epoch, now), .. HandOver(c.RoomId, t, FloorReasons.Released, c.Settings, c.Eligible, now)],
        (ReleaseFloor c, Floor.Taken t) when t.Queue.Contains(c.Device) =>
            [new FloorLeftQueue(c.RoomId, c.Device, LeaveReason.Released, now)],

        (RevokeFloor c, Floor.Taken t) when c.Device == t.Holder =>
            Revoke(c.RoomId, t, c.Reason, c.Settings, c.Eligible, now),
        (RevokeFloor { Reason: not RevokeReason.Disconnected } c, Floor.Taken t) when t.Queue.Contains(c.Device) =>
            [new FloorLeftQueue(c.RoomId, c.Device, LeaveReasonFor(c.Reason), now)],

        (CheckMaxTalk c, Floor.Taken t) when c.Epoch == t.Epoch && now >= t.ExpiresAt =>
            Revoke(c.RoomId, t, RevokeReason.MaxTalkTime, c.Settings, c.Eligible, now),

        // The grant's own EndOfMedia applies: the holder was promised it when granted.
        (CheckEndOfMedia c, Floor.Taken t) when c.Epoch == t.Epoch && now - SilentSince(t, c.LastMediaAt) >= t.EndOfMedia =>
            Revoke(c.RoomId, t, RevokeReason.EndOfMedia, c.Settings, c.Eligible, now),

        _ => [],
    };

    public static Floor Evolve(Floor state, FloorEvent e) => (state, e) switch
    {
        (Floor.Idle or Floor.Taken, FloorRequested) => state,

        (Floor.Idle, FloorGranted { How: GrantKind.Requested } g) when g.Epoch == state.Epoch + 1 => Holding(g, []),
        (Floor.Vacant v, FloorGranted { How: GrantKind.QueueHandOver } g) when g.Epoch == v.Epoch + 1 && v.Queue.FirstOrDefault() == g.Holder =>
            Holding(g, v.Queue.RemoveAt(0)),
        (Floor.Vacant v, FloorGranted { How: GrantKind.Preemption } g) when g.Epoch == v.Epoch + 1 =>
            Holding(g, v.Queue.Remove(g.Holder)),

        (Floor.Taken t, FloorDenied d) when d.Holder == t.Holder && d.Requester != t.Holder => t,
        (Floor.Taken t, FloorQueued q) when q.Device != t.Holder && !t.Queue.Contains(q.Device) && q.Position == t.Queue.Count + 1 =>
            t with { Queue = t.Queue.Add(q.Device) },
        (Floor.Taken t, FloorLeftQueue { Reason: not LeaveReason.SkippedIneligible } l) when t.Queue.Contains(l.Device) =>
            t with { Queue = t.Queue.Remove(l.Device) },
        // Hand-over walks the queue from its head.
        (Floor.Vacant v, FloorLeftQueue { Reason: LeaveReason.SkippedIneligible } l) when v.Queue.FirstOrDefault() == l.Device =>
            v with { Queue = v.Queue.RemoveAt(0) },

        (Floor.Taken t, FloorReleased r) when r.Holder == t.Holder && r.Epoch == t.Epoch => new Floor.Vacant(t.Epoch, t.Queue),
        (Floor.Taken t, FloorRevoked r) when r.Holder == t.Holder && r.Epoch == t.Epoch => new Floor.Vacant(t.Epoch, t.Queue),
        (Floor.Vacant { Queue.IsEmpty: true } v, FloorIdle i) when i.Epoch == v.Epoch => new Floor.Idle(v.Epoch),

        _ => throw new InvalidOperationException($"Impossible floor history: {e} cannot follow {Describe(state)}."),
    };

    public static Floor Replay(IEnumerable<FloorEvent> events) => events.Aggregate(Floor.Initial, Evolve);

    static FloorEvent[] Request(RequestFloor c, Floor state, DateTimeOffset now) => state switch
    {
        Floor.Idle => [Requested(c, now), Grant(c.RoomId, c.Requester, state.Epoch + 1, c.Settings, GrantKind.Requested, now)],
        Floor.Taken t when t.Holder == c.Requester => [],
        Floor.Taken t when CanPreempt(c) =>
        [
            Requested(c, now),
            new FloorRevoked(c.RoomId, t.Holder, t.Epoch, RevokeReason.Preempted, c.Requester, now),
            Grant(c.RoomId, c.Requester, t.Epoch + 1, c.Settings, GrantKind.Preemption, now),
        ],
        Floor.Taken t when t.Queue.Contains(c.Requester) => [],
        Floor.Taken t when c.Settings.Queue => [Requested(c, now), new FloorQueued(c.RoomId, c.Requester, t.Queue.Count + 1, now)],
        Floor.Taken t => [Requested(c, now), new FloorDenied(c.RoomId, c.Requester, DenyReason.Taken, t.Holder, now)],
        _ => throw new InvalidOperationException($"Unknown floor state {state}."),
    };

    static bool CanPreempt(RequestFloor c) =>
        c.Priority == FloorPriority.Preempt && c.RequesterPowerLevel >= c.Settings.PreemptPowerLevel
        && c.HolderPowerLevel is { } holder && c.RequesterPowerLevel > holder;

    static FloorEvent[] Revoke(string roomId, Floor.Taken t, RevokeReason reason, FloorSettings settings,
        Func<DeviceRef, bool> eligible, DateTimeOffset now) =>
        [new FloorRevoked(roomId, t.Holder, t.Epoch, reason, null, now), .. HandOver(roomId, t, reason.ToWire(), settings, eligible, now)];

    static IEnumerable<FloorEvent> HandOver(string roomId, Floor.Taken from, string reason, FloorSettings settings,
        Func<DeviceRef, bool> eligible, DateTimeOffset now)
    {
        foreach (var next in from.Queue)
        {
            if (!eligible(next))
            {
                yield return new FloorLeftQueue(roomId, next, LeaveReason.SkippedIneligible, now);
                continue;
            }
            yield return Grant(roomId, next, from.Epoch + 1, settings, GrantKind.QueueHandOver, now);
            yield break;
        }
        yield return new FloorIdle(roomId, from.Epoch, reason, now);
    }

    static FloorRequested Requested(RequestFloor c, DateTimeOffset now) => new(c.RoomId, c.Requester, c.Priority, now);

    static FloorGranted Grant(string roomId, DeviceRef holder, long epoch, FloorSettings settings, GrantKind how, DateTimeOffset now) =>
        new(roomId, holder, epoch, now, now + settings.MaxTalk, settings.EndOfMedia, how);

    static Floor.Taken Holding(FloorGranted g, ImmutableList<DeviceRef> queue) =>
        new(g.Holder, g.Epoch, g.At, g.ExpiresAt, g.EndOfMedia, queue);

    static DateTimeOffset SilentSince(Floor.Taken t, DateTimeOffset? lastMediaAt) =>
        lastMediaAt is { } last && last > t.GrantedAt ? last : t.GrantedAt;

    static LeaveReason LeaveReasonFor(RevokeReason reason) => reason switch
    {
        RevokeReason.ConsentExpired => LeaveReason.ConsentExpired,
        RevokeReason.ConsentRevoked => LeaveReason.ConsentRevoked,
        RevokeReason.LeftRoom => LeaveReason.LeftRoom,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    static string Describe(Floor state) => state switch
    {
        Floor.Taken t => $"Taken(holder {t.Holder.StateKey}, epoch {t.Epoch}, queue [{string.Join(", ", t.Queue.Select(d => d.StateKey))}])",
        Floor.Vacant v => $"Vacant(epoch {v.Epoch}, queue [{string.Join(", ", v.Queue.Select(d => d.StateKey))}])",
        _ => state.ToString(),
    };
}

/// <summary>What the HTTP/WebSocket layer answers the device that sent a command.</summary>
public abstract record FloorOutcome
{
    FloorOutcome() { } // private: the set of outcomes is closed

    public sealed record Granted(long Epoch, DateTimeOffset ExpiresAt) : FloorOutcome;

    public sealed record Queued(int Position) : FloorOutcome;

    public sealed record Denied(DeviceRef Holder, DenyReason Reason) : FloorOutcome;

    /// <summary>The device neither holds nor waits for the floor (after a release, a stale release, a revoke).</summary>
    public sealed record None : FloorOutcome;

    /// <summary>Also answers the idempotent cases (no events): the holder asking again, a queued device asking again.</summary>
    public static FloorOutcome For(DeviceRef device, Floor before, IReadOnlyList<FloorEvent> decided) =>
        decided.Aggregate(before, FloorDecider.Evolve) switch
        {
            Floor.Taken t when t.Holder == device => new Granted(t.Epoch, t.ExpiresAt),
            Floor.Taken t when t.Queue.IndexOf(device) is var i and >= 0 => new Queued(i + 1),
            _ when decided.OfType<FloorDenied>().FirstOrDefault(d => d.Requester == device) is { } d => new Denied(d.Holder, d.Reason),
            _ => new None(),
        };
}

/// <summary>The body of <c>GET .../floor</c> and the content of the <c>org.matrix.msc4002.floor</c> ephemeral event.</summary>
public sealed record FloorView(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("holder"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DeviceRef? Holder,
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("granted_ts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? GrantedTs,
    [property: JsonPropertyName("expires_ts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ExpiresTs,
    [property: JsonPropertyName("queue")] IReadOnlyList<DeviceRef> Queue)
{
    public static FloorView From(Floor floor) => floor switch
    {
        Floor.Taken t => new("taken", t.Holder, t.Epoch, t.GrantedAt.ToUnixTimeMilliseconds(), t.ExpiresAt.ToUnixTimeMilliseconds(), t.Queue),
        _ => new("idle", null, floor.Epoch, null, null, []),
    };
}
