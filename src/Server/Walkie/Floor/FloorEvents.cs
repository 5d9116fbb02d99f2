namespace WalkieTalkie.Server.Walkie.Floor;

public static class FloorStream
{
    public static string Id(string roomId) => $"floor:{roomId}";
}

public enum GrantKind { Requested, QueueHandOver, Preemption }

public enum DenyReason { Taken }

public enum RevokeReason { MaxTalkTime, EndOfMedia, Preempted, ConsentExpired, ConsentRevoked, LeftRoom, Disconnected, RevokedByModerator, HostChanged }

public enum LeaveReason { Released, ConsentExpired, ConsentRevoked, LeftRoom, SkippedIneligible, RemovedByModerator, HostChanged }

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
        RevokeReason.RevokedByModerator => "revoked_by_moderator",
        RevokeReason.HostChanged => "host_changed",
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

/// <summary><paramref name="Emergency"/>: granted to an emergency request (directly, by pre-emption or from the queue).</summary>
public sealed record FloorGranted(string RoomId, DeviceRef Holder, long Epoch, DateTimeOffset At, DateTimeOffset ExpiresAt,
    TimeSpan EndOfMedia, GrantKind How, bool Emergency = false) : FloorEvent(RoomId, At);

public sealed record FloorDenied(string RoomId, DeviceRef Requester, DenyReason Reason, DeviceRef Holder, DateTimeOffset At)
    : FloorEvent(RoomId, At);

/// <summary>
/// <paramref name="Position"/> (from 1) is where the device enters the queue: after everyone of the same or a higher
/// priority (emergency first, then power level), before everyone of a lower one.
/// </summary>
public sealed record FloorQueued(string RoomId, DeviceRef Device, int Position, DateTimeOffset At, int PowerLevel = 0,
    bool Emergency = false) : FloorEvent(RoomId, At);

public sealed record FloorLeftQueue(string RoomId, DeviceRef Device, LeaveReason Reason, DateTimeOffset At)
    : FloorEvent(RoomId, At);

public sealed record FloorReleased(string RoomId, DeviceRef Holder, long Epoch, DateTimeOffset At) : FloorEvent(RoomId, At);

/// <summary>
/// <paramref name="By"/> is the pre-empting device when <paramref name="Reason"/> is <see cref="RevokeReason.Preempted"/>,
/// the moderator's device when it is <see cref="RevokeReason.RevokedByModerator"/>.
/// </summary>
public sealed record FloorRevoked(string RoomId, DeviceRef Holder, long Epoch, RevokeReason Reason, DeviceRef? By,
    DateTimeOffset At) : FloorEvent(RoomId, At);

/// <summary><paramref name="Reason"/> is the wire string of the release or revoke that emptied the floor.</summary>
public sealed record FloorIdle(string RoomId, long Epoch, string Reason, DateTimeOffset At) : FloorEvent(RoomId, At);
