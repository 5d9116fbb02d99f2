namespace WalkieTalkie.Server.Walkie.Consent;

/// <summary>The durable expiry timer of one consent, carrying the expires_at it was set for (a renewal makes it a no-op).</summary>
public sealed record ConsentExpiryDue(string RoomId, DeviceRef Device, DateTimeOffset DueAt);

/// <summary>
/// The durable expiry backstop (scheduled through the outbox with every timed consent). The in-process timer set after
/// the same commit usually got there first; then, or after a renewal, the decider does nothing.
/// </summary>
public static class ConsentExpiryDueHandler
{
    public static Task Handle(ConsentExpiryDue due, ConsentService consent, CancellationToken ct) =>
        consent.DecideAsync(due.RoomId, due.Device, new ExpireConsent(due.RoomId, due.Device, due.DueAt), fromClient: false, ct);
}
