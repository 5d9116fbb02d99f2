namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>A device lost its consent or left: if it is still ineligible when this is handled, it loses the floor or its place in the queue.</summary>
public sealed record FloorEligibilityLost(string RoomId, DeviceRef Device, RevokeReason Reason);

/// <summary>Cascaded (through the outbox) by the consent decision that ended the consent; idempotent.</summary>
public static class FloorEligibilityLostHandler
{
    public static Task Handle(FloorEligibilityLost lost, FloorControl floor, CancellationToken ct) =>
        floor.HandleAsync(new FloorCommand.Depart(lost.RoomId, lost.Device, lost.Reason), ct);
}
