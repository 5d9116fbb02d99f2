using System.Collections.Immutable;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>A device waiting for the floor, with the priority it asked with (the queue is kept in priority order).</summary>
public sealed record FloorQueueEntry(DeviceRef Device, int PowerLevel = 0, bool Emergency = false)
{
    /// <summary>Emergency first, then the higher power level; equal priorities keep their arrival order.</summary>
    public bool OutranksOrEquals(FloorQueueEntry other) =>
        Emergency != other.Emergency ? Emergency : PowerLevel >= other.PowerLevel;
}

/// <summary>A room's floor: idle, taken by one holder with a priority-ordered queue, or vacant mid-decision.</summary>
public abstract record FloorState
{
    FloorState(long epoch) => Epoch = epoch; // private: the set of states is closed

    /// <summary>The epoch of the latest grant (0 before the first); every grant adds exactly one.</summary>
    public long Epoch { get; }

    public static FloorState Initial { get; } = new Idle(0);

    public sealed record Idle(long Epoch) : FloorState(Epoch);

    public sealed record Taken(DeviceRef Holder, long Epoch, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt,
        TimeSpan EndOfMedia, ImmutableList<FloorQueueEntry> Queue, bool Emergency = false) : FloorState(Epoch)
    {
        public bool Equals(Taken? other) => other is not null && base.Equals(other) && Holder == other.Holder
            && GrantedAt == other.GrantedAt && ExpiresAt == other.ExpiresAt && EndOfMedia == other.EndOfMedia
            && Emergency == other.Emergency && Queue.SequenceEqual(other.Queue);

        public override int GetHashCode() => HashCode.Combine(Epoch, Holder, GrantedAt, ExpiresAt, EndOfMedia, Queue.Count, Emergency);

        public IEnumerable<DeviceRef> Waiting => Queue.Select(e => e.Device);

        public bool IsQueued(DeviceRef device) => Queue.Exists(e => e.Device == device);

        /// <summary>1-based place of the device in the queue, or 0.</summary>
        public int PositionOf(DeviceRef device) => Queue.FindIndex(e => e.Device == device) + 1;
    }

    /// <summary>
    /// Between a release/revoke and the hand-over that follows it in the same decision; a stored stream never ends here,
    /// because one decision is appended atomically.
    /// </summary>
    public sealed record Vacant(long Epoch, ImmutableList<FloorQueueEntry> Queue) : FloorState(Epoch)
    {
        public bool Equals(Vacant? other) => other is not null && base.Equals(other) && Queue.SequenceEqual(other.Queue);

        public override int GetHashCode() => HashCode.Combine(Epoch, Queue.Count);
    }

    /// <summary>The 1-based place a new entry takes: behind everyone who outranks or equals it.</summary>
    public static int InsertPosition(ImmutableList<FloorQueueEntry> queue, FloorQueueEntry entry) =>
        queue.TakeWhile(e => e.OutranksOrEquals(entry)).Count() + 1;
}
