namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// The timers of one grant (room, epoch): max talk and end of media, checked together and re-armed for whichever is due
/// next. Scheduled both as a durable Wolverine message (restart-proof) and in process (precise); a stale epoch does nothing.
/// </summary>
public sealed record FloorTimerDue(string RoomId, long Epoch);

/// <summary>The durable backstop, scheduled through the outbox with every grant; idempotent.</summary>
public static class FloorTimerDueHandler
{
    public static Task Handle(FloorTimerDue due, FloorControl floor, CancellationToken ct) =>
        floor.TimersDueAsync(due, durable: true, ct);
}
