namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>
/// Turns a front-door <see cref="FloorCommand"/> into the decider's commands, with the facts (membership, consent, power
/// levels, settings, last audio frame) read from the batch's scene and the floor as the batch has evolved it so far.
/// Throws <see cref="MatrixException"/> for a caller who may not ask (not joined, walkie-talkie off).
/// </summary>
public static class FloorPlan
{
    public static IEnumerable<FloorDeciderCommand> For(FloorCommand command, FloorScene scene, FloorState floor,
        Func<string, long, DateTimeOffset?> lastFrameAt)
    {
        var roomId = command.RoomId;
        var settings = command.Client is { } client ? WalkieAccess.RequireEnabledMember(scene.Room, client.UserId).FloorSettings : scene.Settings;
        var taken = floor as FloorState.Taken;
        switch (command)
        {
            case FloorCommand.Request r:
                var holderLevel = taken is null ? (int?)null : scene.PowerLevel(taken.Holder.UserId);
                return [new RequestFloor(roomId, r.Device, r.Priority, scene.PowerLevel(r.Device.UserId), holderLevel, settings,
                    scene.HasLiveConsent(r.Device))];
            case FloorCommand.Release r:
                return [new ReleaseFloor(roomId, r.Device, r.Epoch, settings, scene.Eligible)];
            case FloorCommand.Revoke r:
                return [new ModerateFloor(roomId, r.Moderator, scene.PowerLevel(r.Moderator.UserId), scene.KickLevel, r.UserId, r.DeviceId,
                    scene.PowerLevel(r.UserId), settings, scene.Eligible)];
            case FloorCommand.TimersDue d when taken?.Epoch == d.Epoch:
                // If max talk revokes, the end-of-media check meets a later epoch and does nothing.
                return
                [
                    new CheckMaxTalk(roomId, d.Epoch, settings, scene.Eligible),
                    new CheckEndOfMedia(roomId, d.Epoch, lastFrameAt(roomId, d.Epoch), settings, scene.Eligible),
                ];
            case FloorCommand.Depart { Reason: RevokeReason.Disconnected } d:
                return taken?.Holder == d.Device ? [new RevokeFloor(roomId, d.Device, d.Reason, settings, scene.Eligible)] : [];
            // A device's own server is the authority on its consent: the mirrored state may not have reached us yet.
            case FloorCommand.Depart d:
                return d.ForwardedBy is null && scene.Eligible(d.Device) ? [] : [new RevokeFloor(roomId, d.Device, d.Reason, settings, scene.Eligible)];
            case FloorCommand.Leave l when taken is not null && !scene.Room.IsJoined(l.UserId):
                return taken.Waiting.Prepend(taken.Holder).Where(d => d.UserId == l.UserId)
                    .Select(d => new RevokeFloor(roomId, d, RevokeReason.LeftRoom, settings, scene.Eligible)).ToList();
            default:
                return [];
        }
    }

    /// <summary>The caller's answer: for a client, where it stands now; for a moderator, what was taken from whom.</summary>
    public static FloorOutcome OutcomeOf(FloorCommand command, FloorState before, IReadOnlyList<FloorEvent> decided) =>
        (command switch
        {
            FloorCommand.Revoke => FloorOutcome.ModeratedBy(decided),
            { Client: { } device } => FloorOutcome.For(device, before, decided),
            _ => new FloorOutcome.None(),
        }) with { Changed = decided.Count > 0 };
}
