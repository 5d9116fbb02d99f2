namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// What callers ask of <see cref="FloorControl.HandleAsync"/>: plain values, no lookups. HTTP, the live stream, the
/// Wolverine handlers (timers, eligibility lost) and departures each build one of these and nothing else.
/// </summary>
public abstract record FloorCommand(string RoomId)
{
    /// <summary>The commands from a client (request, release, moderator revoke) need a joined member in an enabled room.</summary>
    public virtual DeviceRef? Client => null;

    /// <summary>The server that forwarded this command to us, the floor host (null: from this server).</summary>
    public string? ForwardedBy { get; init; }

    /// <summary>POST .../floor/request, <c>floor.request</c>.</summary>
    public sealed record Request(string RoomId, DeviceRef Device, FloorPriority Priority) : FloorCommand(RoomId)
    {
        public override DeviceRef Client => Device;
    }

    /// <summary>POST .../floor/release, <c>floor.release</c>.</summary>
    public sealed record Release(string RoomId, DeviceRef Device, long Epoch) : FloorCommand(RoomId)
    {
        public override DeviceRef Client => Device;
    }

    /// <summary>POST .../floor/revoke by a moderator: all devices of <paramref name="UserId"/>, or just <paramref name="DeviceId"/>.</summary>
    public sealed record Revoke(string RoomId, DeviceRef Moderator, string UserId, string? DeviceId) : FloorCommand(RoomId)
    {
        public override DeviceRef Client => Moderator;
    }

    /// <summary>
    /// A grant's max-talk / end-of-media timers are due; <paramref name="Durable"/>: the restart-proof Wolverine message
    /// (re-armed as one) rather than the precise in-process timer.
    /// </summary>
    public sealed record TimersDue(string RoomId, long Epoch, bool Durable) : FloorCommand(RoomId);

    /// <summary>
    /// The device lost its consent or its stream: if it is still ineligible (or, for <see cref="RevokeReason.Disconnected"/>,
    /// still the holder) it loses the floor or its place in the queue.
    /// </summary>
    public sealed record Depart(string RoomId, DeviceRef Device, RevokeReason Reason) : FloorCommand(RoomId);

    /// <summary>The user left, was kicked or banned: every device of theirs leaves the floor and the queue.</summary>
    public sealed record Leave(string RoomId, string UserId) : FloorCommand(RoomId);
}
