namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>What the HTTP/WebSocket layer answers the device that sent a command.</summary>
public abstract record FloorOutcome
{
    FloorOutcome() { } // private: the set of outcomes is closed

    /// <summary>The command appended events (which also reach the device through the floor change feed).</summary>
    public bool Changed { get; init; }

    public sealed record Granted(long Epoch, DateTimeOffset ExpiresAt, bool Emergency = false) : FloorOutcome;

    public sealed record Queued(int Position) : FloorOutcome;

    public sealed record Denied(DeviceRef Holder, DenyReason Reason) : FloorOutcome;

    /// <summary>The device neither holds nor waits for the floor (after a release, a stale release, a revoke).</summary>
    public sealed record None : FloorOutcome;

    /// <summary>A moderator's revocation: the devices it took the floor or a queue place from.</summary>
    public sealed record Moderated(DeviceRef? Revoked, IReadOnlyList<DeviceRef> Dequeued) : FloorOutcome
    {
        public bool Equals(Moderated? other) => other is not null && base.Equals(other) && Revoked == other.Revoked
            && Dequeued.SequenceEqual(other.Dequeued);

        public override int GetHashCode() => HashCode.Combine(Revoked, Dequeued.Count);
    }

    /// <summary>Also answers the idempotent cases (no events): the holder asking again, a queued device asking again.</summary>
    public static FloorOutcome For(DeviceRef device, FloorState before, IReadOnlyList<FloorEvent> decided) =>
        decided.Aggregate(before, FloorDecider.Evolve) switch
        {
            FloorState.Taken t when t.Holder == device => new Granted(t.Epoch, t.ExpiresAt, t.Emergency),
            FloorState.Taken t when t.PositionOf(device) is var p and > 0 => new Queued(p),
            _ when decided.OfType<FloorDenied>().FirstOrDefault(d => d.Requester == device) is { } d => new Denied(d.Holder, d.Reason),
            _ => new None(),
        };

    public static Moderated ModeratedBy(IReadOnlyList<FloorEvent> decided) => new(
        decided.OfType<FloorRevoked>().FirstOrDefault(r => r.Reason == RevokeReason.RevokedByModerator)?.Holder,
        decided.OfType<FloorLeftQueue>().Where(l => l.Reason == LeaveReason.RemovedByModerator).Select(l => l.Device).ToList());
}
