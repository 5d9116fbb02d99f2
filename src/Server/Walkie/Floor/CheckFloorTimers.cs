namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// The durable backstops: the timer message scheduled (through the outbox) with every grant (max talk and end of media),
/// and the floor consequence of a consent that ended or a member who left. All idempotent.
/// </summary>
public static class FloorTimerDueHandler
{
    public static Task Handle(FloorTimerDue due, FloorControl floor, CancellationToken ct) =>
        floor.CheckTimerAsync(due, durable: true, ct);
}

public static class FloorEligibilityLostHandler
{
    public static Task Handle(FloorEligibilityLost lost, FloorControl floor, CancellationToken ct) =>
        floor.RevokeIfIneligibleAsync(lost.RoomId, lost.Device, lost.Reason, ct);
}
