using System.Collections.Immutable;

namespace WalkieTalkie.Server.Walkie.Floor;

// ---- The decider's commands: FloorControl looks up membership, consent and power levels and passes the answers in.

public abstract record FloorDeciderCommand(string RoomId);

/// <summary>
/// <paramref name="HolderPowerLevel"/> is the current holder's level; null (unknown) never lets anyone pre-empt with
/// <c>preempt</c>. <paramref name="HasConsent"/>: the requester's consent is live now.
/// </summary>
public sealed record RequestFloor(string RoomId, DeviceRef Requester, FloorPriority Priority, int RequesterPowerLevel,
    int? HolderPowerLevel, FloorSettings Settings, bool HasConsent = true) : FloorDeciderCommand(RoomId);

public sealed record ReleaseFloor(string RoomId, DeviceRef Device, long Epoch, FloorSettings Settings,
    Func<DeviceRef, bool> Eligible) : FloorDeciderCommand(RoomId);

/// <summary>
/// Consent expired/revoked, left room or disconnected. A queued device that disconnects keeps its place (it may
/// reconnect; if promoted without a stream, end-of-media reclaims the floor); the other reasons take it out of the queue.
/// </summary>
public sealed record RevokeFloor(string RoomId, DeviceRef Device, RevokeReason Reason, FloorSettings Settings,
    Func<DeviceRef, bool> Eligible) : FloorDeciderCommand(RoomId);

/// <summary>
/// A moderator takes the floor from <paramref name="TargetUser"/> (one device, or all of theirs when
/// <paramref name="TargetDevice"/> is null) and removes them from the queue. Allowed like a kick: the moderator's level
/// reaches the room's <c>kick</c> level and is strictly above the target's (or the target is the moderator).
/// </summary>
public sealed record ModerateFloor(string RoomId, DeviceRef Moderator, int ModeratorPowerLevel, int KickPowerLevel,
    string TargetUser, string? TargetDevice, int TargetPowerLevel, FloorSettings Settings, Func<DeviceRef, bool> Eligible)
    : FloorDeciderCommand(RoomId)
{
    public bool Targets(DeviceRef device) => device.UserId == TargetUser && (TargetDevice is null || device.DeviceId == TargetDevice);
}

/// <summary>The max-talk timer, scheduled for the epoch it was set for.</summary>
public sealed record CheckMaxTalk(string RoomId, long Epoch, FloorSettings Settings, Func<DeviceRef, bool> Eligible)
    : FloorDeciderCommand(RoomId);

/// <summary>The end-of-media timer; <paramref name="LastMediaAt"/> is when the holder's last audio frame arrived.</summary>
public sealed record CheckEndOfMedia(string RoomId, long Epoch, DateTimeOffset? LastMediaAt, FloorSettings Settings,
    Func<DeviceRef, bool> Eligible) : FloorDeciderCommand(RoomId);

public static class FloorDecider
{
    public static FloorEvent[] Decide(FloorDeciderCommand command, FloorState state, DateTimeOffset now) => (command, state) switch
    {
        (_, FloorState.Vacant) => throw new InvalidOperationException("The floor stream ends in the middle of a hand-over."),
        (RevokeFloor { Reason: RevokeReason.MaxTalkTime or RevokeReason.EndOfMedia or RevokeReason.Preempted or RevokeReason.RevokedByModerator } c, _) =>
            throw new ArgumentException($"{c.Reason} is decided by its own command, not by RevokeFloor.", nameof(command)),

        (RequestFloor c, _) => Request(c, state, now),
        (ModerateFloor c, _) => Moderate(c, state, now),

        (ReleaseFloor c, FloorState.Taken t) when c.Device == t.Holder && c.Epoch == t.Epoch =>
            [new FloorReleased(c.RoomId, t.Holder, t.Epoch, now), .. HandOver(c.RoomId, t, FloorReasons.Released, c.Settings, c.Eligible, now)],
        (ReleaseFloor c, FloorState.Taken t) when t.IsQueued(c.Device) =>
            [new FloorLeftQueue(c.RoomId, c.Device, LeaveReason.Released, now)],

        (RevokeFloor c, FloorState.Taken t) when c.Device == t.Holder =>
            Revoke(c.RoomId, t, c.Reason, null, c.Settings, c.Eligible, now),
        (RevokeFloor { Reason: not RevokeReason.Disconnected } c, FloorState.Taken t) when t.IsQueued(c.Device) =>
            [new FloorLeftQueue(c.RoomId, c.Device, LeaveReasonFor(c.Reason), now)],

        (CheckMaxTalk c, FloorState.Taken t) when c.Epoch == t.Epoch && MaxTalkReached(t, now) =>
            Revoke(c.RoomId, t, RevokeReason.MaxTalkTime, null, c.Settings, c.Eligible, now),

        // The grant's own EndOfMedia applies: the holder was promised it when granted.
        (CheckEndOfMedia c, FloorState.Taken t) when c.Epoch == t.Epoch && MediaEnded(t, c.LastMediaAt, now) =>
            Revoke(c.RoomId, t, RevokeReason.EndOfMedia, null, c.Settings, c.Eligible, now),

        _ => [],
    };

    public static FloorState Evolve(FloorState state, FloorEvent e) => (state, e) switch
    {
        (FloorState.Idle or FloorState.Taken, FloorRequested) => state,

        (FloorState.Idle, FloorGranted { How: GrantKind.Requested } g) when g.Epoch == state.Epoch + 1 => Holding(g, []),
        (FloorState.Vacant v, FloorGranted { How: GrantKind.QueueHandOver } g)
            when g.Epoch == v.Epoch + 1 && v.Queue.FirstOrDefault() is { } head && head.Device == g.Holder && head.Emergency == g.Emergency =>
            Holding(g, v.Queue.RemoveAt(0)),
        (FloorState.Vacant v, FloorGranted { How: GrantKind.Preemption } g) when g.Epoch == v.Epoch + 1 =>
            Holding(g, v.Queue.RemoveAll(q => q.Device == g.Holder)),

        (FloorState.Taken t, FloorDenied d) when d.Holder == t.Holder && d.Requester != t.Holder => t,
        (FloorState.Taken t, FloorQueued q) when q.Device != t.Holder && !t.IsQueued(q.Device)
            && q.Position == FloorState.InsertPosition(t.Queue, Entry(q)) =>
            t with { Queue = t.Queue.Insert(q.Position - 1, Entry(q)) },
        (FloorState.Taken t, FloorLeftQueue { Reason: not LeaveReason.SkippedIneligible } l) when t.IsQueued(l.Device) =>
            t with { Queue = t.Queue.RemoveAll(q => q.Device == l.Device) },
        // Hand-over walks the queue from its head.
        (FloorState.Vacant v, FloorLeftQueue { Reason: LeaveReason.SkippedIneligible } l) when v.Queue.FirstOrDefault()?.Device == l.Device =>
            v with { Queue = v.Queue.RemoveAt(0) },

        (FloorState.Taken t, FloorReleased r) when r.Holder == t.Holder && r.Epoch == t.Epoch => new FloorState.Vacant(t.Epoch, t.Queue),
        (FloorState.Taken t, FloorRevoked r) when r.Holder == t.Holder && r.Epoch == t.Epoch => new FloorState.Vacant(t.Epoch, t.Queue),
        (FloorState.Vacant { Queue.IsEmpty: true } v, FloorIdle i) when i.Epoch == v.Epoch => new FloorState.Idle(v.Epoch),

        _ => throw new InvalidOperationException($"Impossible floor history: {e} cannot follow {Describe(state)}."),
    };

    public static FloorState Replay(IEnumerable<FloorEvent> events) => events.Aggregate(FloorState.Initial, Evolve);

    static FloorEvent[] Request(RequestFloor c, FloorState state, DateTimeOffset now)
    {
        if (!c.HasConsent)
            throw new FloorRefused(FloorRefusal.NoConsent, "This device has no live consent in this room: PUT .../consent first");
        var emergency = c.Priority == FloorPriority.Emergency;
        if (emergency && c.RequesterPowerLevel < c.Settings.EmergencyPowerLevel)
            throw new FloorRefused(FloorRefusal.EmergencyNotAllowed,
                $"An emergency request needs power level {c.Settings.EmergencyPowerLevel} in this room (emergency_power_level)");

        return state switch
        {
            FloorState.Idle => [Requested(c, now), Grant(c.RoomId, c.Requester, state.Epoch + 1, c.Settings, GrantKind.Requested, emergency, now)],
            FloorState.Taken t when t.Holder == c.Requester => [],
            FloorState.Taken t when CanPreempt(c, t) =>
            [
                Requested(c, now),
                new FloorRevoked(c.RoomId, t.Holder, t.Epoch, RevokeReason.Preempted, c.Requester, now),
                Grant(c.RoomId, c.Requester, t.Epoch + 1, c.Settings, GrantKind.Preemption, emergency, now),
            ],
            FloorState.Taken t when t.IsQueued(c.Requester) => [],
            FloorState.Taken t when c.Settings.Queue => [Requested(c, now), Enqueue(c, t, emergency, now)],
            FloorState.Taken t => [Requested(c, now), new FloorDenied(c.RoomId, c.Requester, DenyReason.Taken, t.Holder, now)],
            _ => throw new InvalidOperationException($"Unknown floor state {state}."),
        };
    }

    /// <summary>An emergency holder is pre-empted by nobody (else two emergencies would cut each other off); a moderator may still revoke it.</summary>
    static bool CanPreempt(RequestFloor c, FloorState.Taken t) => !t.Emergency && c.Priority switch
    {
        FloorPriority.Emergency => true,
        FloorPriority.Preempt => c.RequesterPowerLevel >= c.Settings.PreemptPowerLevel
            && c.HolderPowerLevel is { } holder && c.RequesterPowerLevel > holder,
        _ => false,
    };

    static FloorQueued Enqueue(RequestFloor c, FloorState.Taken t, bool emergency, DateTimeOffset now)
    {
        if (t.Queue.Count(q => q.Device.UserId == c.Requester.UserId) >= c.Settings.MaxQueuePerUser)
            throw new FloorRefused(FloorRefusal.UserQueueFull,
                $"At most {c.Settings.MaxQueuePerUser} devices of one user may wait for the floor in this room (max_queue_per_user)");
        if (t.Queue.Count >= c.Settings.MaxQueue)
            throw new FloorRefused(FloorRefusal.RoomQueueFull,
                $"At most {c.Settings.MaxQueue} devices may wait for the floor in this room (max_queue)");
        var entry = new FloorQueueEntry(c.Requester, c.RequesterPowerLevel, emergency);
        return new(c.RoomId, c.Requester, FloorState.InsertPosition(t.Queue, entry), now, entry.PowerLevel, entry.Emergency);
    }

    static FloorEvent[] Moderate(ModerateFloor c, FloorState state, DateTimeOffset now)
    {
        if (c.ModeratorPowerLevel < c.KickPowerLevel || (c.TargetUser != c.Moderator.UserId && c.ModeratorPowerLevel <= c.TargetPowerLevel))
            throw new FloorRefused(FloorRefusal.NotModerator,
                $"Revoking the floor needs the room's kick level ({c.KickPowerLevel}) and a power level above the target's");
        if (state is not FloorState.Taken t) return [];
        // The queue first, so the hand-over after the holder's revocation cannot pick a device being removed.
        var removed = t.Queue.Where(q => c.Targets(q.Device))
            .Select(q => (FloorEvent)new FloorLeftQueue(c.RoomId, q.Device, LeaveReason.RemovedByModerator, now)).ToList();
        if (!c.Targets(t.Holder)) return [.. removed];
        var rest = t with { Queue = t.Queue.RemoveAll(q => c.Targets(q.Device)) };
        return [.. removed, .. Revoke(c.RoomId, rest, RevokeReason.RevokedByModerator, c.Moderator, c.Settings, c.Eligible, now)];
    }

    static FloorEvent[] Revoke(string roomId, FloorState.Taken t, RevokeReason reason, DeviceRef? by, FloorSettings settings,
        Func<DeviceRef, bool> eligible, DateTimeOffset now) =>
        [new FloorRevoked(roomId, t.Holder, t.Epoch, reason, by, now), .. HandOver(roomId, t, reason.ToWire(), settings, eligible, now)];

    static IEnumerable<FloorEvent> HandOver(string roomId, FloorState.Taken from, string reason, FloorSettings settings,
        Func<DeviceRef, bool> eligible, DateTimeOffset now)
    {
        foreach (var next in from.Queue)
        {
            if (!eligible(next.Device))
            {
                yield return new FloorLeftQueue(roomId, next.Device, LeaveReason.SkippedIneligible, now);
                continue;
            }
            yield return Grant(roomId, next.Device, from.Epoch + 1, settings, GrantKind.QueueHandOver, next.Emergency, now);
            yield break;
        }
        yield return new FloorIdle(roomId, from.Epoch, reason, now);
    }

    static FloorRequested Requested(RequestFloor c, DateTimeOffset now) => new(c.RoomId, c.Requester, c.Priority, now);

    static FloorGranted Grant(string roomId, DeviceRef holder, long epoch, FloorSettings settings, GrantKind how, bool emergency,
        DateTimeOffset now) =>
        new(roomId, holder, epoch, now, now + settings.MaxTalk, settings.EndOfMedia, how, emergency);

    static FloorState.Taken Holding(FloorGranted g, ImmutableList<FloorQueueEntry> queue) =>
        new(g.Holder, g.Epoch, g.At, g.ExpiresAt, g.EndOfMedia, queue, g.Emergency);

    static FloorQueueEntry Entry(FloorQueued q) => new(q.Device, q.PowerLevel, q.Emergency);

    /// <summary>
    /// When the grant's timers are next due, if neither <see cref="CheckMaxTalk"/> nor <see cref="CheckEndOfMedia"/> would
    /// revoke at <paramref name="now"/> (the same tests); null when one would. Only the grant's own times count, which
    /// stay fixed for its epoch, so a timer may re-arm on this answer without deciding.
    /// </summary>
    public static DateTimeOffset? TimersQuietUntil(FloorState.Taken t, DateTimeOffset? lastMediaAt, DateTimeOffset now) =>
        MaxTalkReached(t, now) || MediaEnded(t, lastMediaAt, now) ? null : TimersNextDue(t, lastMediaAt);

    static bool MaxTalkReached(FloorState.Taken t, DateTimeOffset now) => now >= t.ExpiresAt;

    static bool MediaEnded(FloorState.Taken t, DateTimeOffset? lastMediaAt, DateTimeOffset now) => now - SilentSince(t, lastMediaAt) >= t.EndOfMedia;

    /// <summary>Whichever comes first of max talk and (last frame, or the grant, + end of media).</summary>
    public static DateTimeOffset TimersNextDue(FloorState.Taken t, DateTimeOffset? lastMediaAt)
    {
        var endOfMedia = SilentSince(t, lastMediaAt) + t.EndOfMedia;
        return endOfMedia < t.ExpiresAt ? endOfMedia : t.ExpiresAt;
    }

    static DateTimeOffset SilentSince(FloorState.Taken t, DateTimeOffset? lastMediaAt) =>
        lastMediaAt is { } last && last > t.GrantedAt ? last : t.GrantedAt;

    static LeaveReason LeaveReasonFor(RevokeReason reason) => reason switch
    {
        RevokeReason.ConsentExpired => LeaveReason.ConsentExpired,
        RevokeReason.ConsentRevoked => LeaveReason.ConsentRevoked,
        RevokeReason.LeftRoom => LeaveReason.LeftRoom,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    static string Describe(FloorState state) => state switch
    {
        FloorState.Taken t => $"Taken(holder {t.Holder.StateKey}, epoch {t.Epoch}, queue [{string.Join(", ", t.Waiting.Select(d => d.StateKey))}])",
        FloorState.Vacant v => $"Vacant(epoch {v.Epoch}, queue [{string.Join(", ", v.Queue.Select(q => q.Device.StateKey))}])",
        _ => state.ToString(),
    };
}
