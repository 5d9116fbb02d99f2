using System.Collections.Immutable;

namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Floor;

/// <summary>Fixtures for floor decider tests: a fixed clock, four devices, event and command builders.</summary>
static class FloorSpec
{
    public static readonly DeciderSpec<FloorDeciderCommand, FloorState, FloorEvent> Decider = new(FloorDecider.Decide, FloorDecider.Evolve, FloorState.Initial);

    public static DeciderSpec<FloorDeciderCommand, FloorState, FloorEvent>.Arranged Given(params FloorEvent[] history) => Decider.Given(history);

    public static readonly DateTimeOffset T0 = new(2025, 11, 24, 9, 0, 0, TimeSpan.Zero);
    public static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    public const string Room = "!walkie:example.org";
    public static readonly DeviceRef Alice = new("@alice:example.org", "ALICEPHONE");
    public static readonly DeviceRef Bob = new("@bob:example.org", "BOBRADIO");
    public static readonly DeviceRef Carol = new("@carol:example.org", "CAROLWEB");
    public static readonly DeviceRef Dave = new("@dave:example.org", "DAVEPHONE");

    public static readonly FloorSettings Settings = FloorSettings.Default;
    public static readonly FloorSettings NoQueue = FloorSettings.Default with { Queue = false };
    public static readonly Func<DeviceRef, bool> Everyone = _ => true;
    public static Func<DeviceRef, bool> AllBut(params DeviceRef[] ineligible) => d => !ineligible.Contains(d);

    // Commands
    public static RequestFloor Request(DeviceRef device, FloorPriority priority = FloorPriority.Normal, int powerLevel = 0,
        int? holderPowerLevel = 0, FloorSettings? settings = null) =>
        new(Room, device, priority, powerLevel, holderPowerLevel, settings ?? Settings);

    public static RequestFloor Emergency(DeviceRef device, int powerLevel = 100, int? holderPowerLevel = 0, FloorSettings? settings = null) =>
        Request(device, FloorPriority.Emergency, powerLevel, holderPowerLevel, settings);

    /// <summary>A moderator at <paramref name="level"/> (kick level 50) against <paramref name="target"/>'s devices at <paramref name="targetLevel"/>.</summary>
    public static ModerateFloor Moderate(DeviceRef moderator, int level, string target, string? device = null, int targetLevel = 0,
        Func<DeviceRef, bool>? eligible = null) =>
        new(Room, moderator, level, 50, target, device, targetLevel, Settings, eligible ?? Everyone);

    public static RequestFloor Preempt(DeviceRef device, int powerLevel, int? holderPowerLevel, FloorSettings? settings = null) =>
        Request(device, FloorPriority.Preempt, powerLevel, holderPowerLevel, settings);

    public static ReleaseFloor Release(DeviceRef device, long epoch, Func<DeviceRef, bool>? eligible = null, FloorSettings? settings = null) =>
        new(Room, device, epoch, settings ?? Settings, eligible ?? Everyone);

    public static RevokeFloor Revoke(DeviceRef device, RevokeReason reason, Func<DeviceRef, bool>? eligible = null) =>
        new(Room, device, reason, Settings, eligible ?? Everyone);

    public static CheckMaxTalk MaxTalkDue(long epoch, Func<DeviceRef, bool>? eligible = null) => new(Room, epoch, Settings, eligible ?? Everyone);

    public static CheckEndOfMedia EndOfMediaDue(long epoch, DateTimeOffset? lastMediaAt = null, FloorSettings? settings = null) =>
        new(Room, epoch, lastMediaAt, settings ?? Settings, Everyone);

    // Events
    public static FloorRequested Requested(DeviceRef device, DateTimeOffset at, FloorPriority priority = FloorPriority.Normal) =>
        new(Room, device, priority, at);

    public static FloorGranted Granted(DeviceRef holder, long epoch, DateTimeOffset at, GrantKind how = GrantKind.Requested,
        FloorSettings? settings = null, bool emergency = false) =>
        new(Room, holder, epoch, at, at + (settings ?? Settings).MaxTalk, (settings ?? Settings).EndOfMedia, how, emergency);

    public static FloorDenied Denied(DeviceRef requester, DeviceRef holder, DateTimeOffset at) => new(Room, requester, DenyReason.Taken, holder, at);
    public static FloorQueued Queued(DeviceRef device, int position, DateTimeOffset at, int powerLevel = 0, bool emergency = false) =>
        new(Room, device, position, at, powerLevel, emergency);
    public static FloorLeftQueue LeftQueue(DeviceRef device, LeaveReason reason, DateTimeOffset at) => new(Room, device, reason, at);
    public static FloorReleased Released(DeviceRef holder, long epoch, DateTimeOffset at) => new(Room, holder, epoch, at);

    public static FloorRevoked Revoked(DeviceRef holder, long epoch, RevokeReason reason, DateTimeOffset at, DeviceRef? by = null) =>
        new(Room, holder, epoch, reason, by, at);

    public static FloorIdle Idle(long epoch, string reason, DateTimeOffset at) => new(Room, epoch, reason, at);

    /// <summary>Alice holds epoch 1 since T0; the listed devices queued behind her in order.</summary>
    public static FloorEvent[] AliceHolds(params DeviceRef[] queue) =>
    [
        Requested(Alice, T0), Granted(Alice, 1, T0),
        .. queue.SelectMany((d, i) => new FloorEvent[] { Requested(d, At(1 + i)), Queued(d, i + 1, At(1 + i)) }),
    ];

    /// <summary>Queued devices at power level 0, no emergency (what <see cref="AliceHolds"/> and plain requests make).</summary>
    public static FloorState.Taken Taken(DeviceRef holder, long epoch, DateTimeOffset grantedAt, params DeviceRef[] queue) =>
        new(holder, epoch, grantedAt, grantedAt + Settings.MaxTalk, Settings.EndOfMedia, [.. queue.Select(d => new FloorQueueEntry(d))]);

    public static ImmutableList<DeviceRef> QueueOf(FloorState floor) => [.. Assert.IsType<FloorState.Taken>(floor).Waiting];
}
