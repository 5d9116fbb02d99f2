using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Consent;

/// <summary>Reacts (in process, after commit) to every consent change, e.g. the live stream deciding who hears audio.</summary>
public interface IConsentChangeListener
{
    void ConsentChanged(ConsentEvent change);
}

/// <summary>What a consent decision did, for the endpoint's answer.</summary>
public sealed record ConsentDecision(IReadOnlyList<ConsentEvent> Events, Consent After);

/// <summary>
/// Runs consent commands: load the (room, device) consent, decide with <see cref="ConsentDecider"/>, append to
/// <see cref="ConsentStream"/> and mirror it into the room as <c>org.matrix.msc4002.member</c> state sent as the user —
/// all in one room transaction (<see cref="RoomWriter"/>), so the mirror can never disagree with the stream.
/// Cascades (through the same transaction's outbox): the durable expiry timer, and a floor revocation when consent ends.
/// </summary>
public sealed class ConsentService(IServiceScopeFactory scopes, TimeProvider clock, TimerScheduler timers,
    IEnumerable<IConsentChangeListener> listeners)
{
    public const string MemberEventType = RoomStates.ConsentMirrorType;

    /// <summary>Client calls (PUT/DELETE) need a joined member in an enabled room; server-side ones (expiry, leave, logout) do not.</summary>
    public Task<ConsentDecision> DecideAsync(string roomId, DeviceRef device, ConsentCommand command, bool fromClient,
        CancellationToken ct) => DecideManyAsync(roomId, [(device, command)], fromClient, ct);

    async Task<ConsentDecision> DecideManyAsync(string roomId, IReadOnlyList<(DeviceRef Device, ConsentCommand Command)> commands,
        bool fromClient, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var writer = scope.ServiceProvider.GetRequiredService<RoomWriter>();
        var all = new List<ConsentEvent>();
        Consent last = Consent.Initial;
        var expiries = new List<ConsentExpiryDue>();

        await writer.AppendAsync(roomId, async (room, tx) =>
        {
            all.Clear();
            expiries.Clear();
            if (fromClient) WalkieAccess.RequireEnabledMember(room, commands[0].Device.UserId);
            var now = clock.GetUtcNow();
            var drafts = new List<RoomEventDraft>();
            foreach (var (device, command) in commands)
            {
                var id = ConsentStream.Id(roomId, device);
                await RoomStates.LoadEntryAsync(tx.Session, room, MemberEventType, device.StateKey, ct);
                var snapshot = await tx.Session.LoadAsync<ConsentSnapshot>(id, ct);
                var before = snapshot?.ToConsent() ?? Consent.Initial;
                var decided = ConsentDecider.Decide(command, before, now);
                var after = decided.Aggregate(before, ConsentDecider.Evolve);
                last = after;
                if (decided.Length > 0)
                {
                    var version = snapshot?.Version ?? 0;
                    if (snapshot is null) tx.Session.Events.StartStream(id, decided);
                    else tx.Session.Events.Append(id, version + decided.Length, decided);
                    tx.Session.Store(ConsentSnapshot.From(roomId, device, after, version + decided.Length));
                    all.AddRange(decided);
                    foreach (var e in decided) await CascadeAsync(e, tx.Outbox, expiries);
                }
                drafts.AddRange(Mirror(room, device, after, mustPublish: fromClient && command is GiveConsent));
            }
            return drafts;
        }, ct);

        foreach (var expiry in expiries) ScheduleExpiry(expiry);
        foreach (var listener in listeners)
            foreach (var e in all) listener.ConsentChanged(e);
        return new(all, last);
    }

    /// <summary>Withdraws every live consent of a user (or of one device of theirs) in a room, e.g. after a leave or a logout.</summary>
    public async Task WithdrawAllAsync(string roomId, IReadOnlyList<DeviceRef> devices, WithdrawReason reason, CancellationToken ct)
    {
        if (devices.Count == 0) return;
        await DecideManyAsync(roomId, devices.Select(d => (d, (ConsentCommand)new WithdrawConsent(roomId, d, reason))).ToList(),
            fromClient: false, ct);
    }

    /// <summary>
    /// After a (re)join: member state the server could not clear while the user was away (auth rules forbid writing as
    /// a non-member) is cleared now, if the consent behind it is gone.
    /// </summary>
    public async Task ClearStaleMirrorsAsync(string roomId, string userId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var query = scope.ServiceProvider.GetRequiredService<IQuerySession>();
        var room = await query.LoadAsync<RoomState>(roomId, ct);
        if (room is not null) await RoomStates.LoadEntriesAsync(query, room, MemberEventType, MirrorPrefix(userId), ct);
        if (room is null || !StaleCandidates(room, userId).Any()) return;

        var writer = scope.ServiceProvider.GetRequiredService<RoomWriter>();
        await writer.AppendAsync(roomId, async (state, tx) =>
        {
            var now = clock.GetUtcNow();
            var drafts = new List<RoomEventDraft>();
            await RoomStates.LoadEntriesAsync(tx.Session, state, MemberEventType, MirrorPrefix(userId), ct);
            foreach (var device in StaleCandidates(state, userId))
            {
                var snapshot = await tx.Session.LoadAsync<ConsentSnapshot>(ConsentStream.Id(roomId, device), ct);
                if (!ConsentSnapshot.IsLive(snapshot, now)) drafts.AddRange(Mirror(state, device, Consent.Initial, mustPublish: false));
            }
            return drafts;
        }, ct);
    }

    static IEnumerable<DeviceRef> StaleCandidates(RoomState room, string userId) =>
        room.State.TryGetValue(MemberEventType, out var byKey)
            ? byKey.Where(kv => kv.Key.StartsWith(MirrorPrefix(userId), StringComparison.Ordinal) && kv.Value.Content != "{}")
                .Select(kv => new DeviceRef(userId, kv.Key[(userId.Length + 2)..])).ToList()
            : [];

    static string MirrorPrefix(string userId) => "_" + userId + "_";

    async Task CascadeAsync(ConsentEvent e, Wolverine.IMessageBus outbox, List<ConsentExpiryDue> expiries)
    {
        switch (e)
        {
            case ConsentGiven { ExpiresAt: { } due } g:
                var expiry = new ConsentExpiryDue(g.RoomId, g.Device, due);
                await Wolverine.MessageBusExtensions.ScheduleAsync(outbox, expiry, due);
                expiries.Add(expiry);
                break;
            case ConsentGiven g:
                timers.Cancel(ExpiryKey(g.RoomId, g.Device)); // now permanent: the old in-process timer is moot
                break;
            case ConsentWithdrawn w:
                timers.Cancel(ExpiryKey(w.RoomId, w.Device));
                await outbox.PublishAsync(new FloorEligibilityLost(w.RoomId, w.Device,
                    w.Reason == WithdrawReason.LeftRoom ? RevokeReason.LeftRoom : RevokeReason.ConsentRevoked));
                break;
            case ConsentExpired x:
                await outbox.PublishAsync(new FloorEligibilityLost(x.RoomId, x.Device, RevokeReason.ConsentExpired));
                break;
        }
    }

    void ScheduleExpiry(ConsentExpiryDue expiry) =>
        timers.Schedule(ExpiryKey(expiry.RoomId, expiry.Device), expiry.DueAt, async ct =>
            await DecideAsync(expiry.RoomId, expiry.Device, new ExpireConsent(expiry.RoomId, expiry.Device, expiry.DueAt), fromClient: false, ct));

    static string ExpiryKey(string roomId, DeviceRef device) => $"consent|{roomId}|{device.UserId}|{device.DeviceId}";

    /// <summary>The member-state draft that makes the room show <paramref name="consent"/>, if the room shows something else.</summary>
    static IEnumerable<RoomEventDraft> Mirror(RoomState room, DeviceRef device, Consent consent, bool mustPublish)
    {
        var content = consent is Consent.Active active
            ? new JsonObject { ["device_id"] = device.DeviceId, ["expires_ts"] = active.ExpiresAt?.ToUnixTimeMilliseconds() }
            : new JsonObject();
        var current = room.Get(MemberEventType, device.StateKey)?.Content;
        if (current is null ? content.Count == 0 : JsonNode.DeepEquals(JsonNode.Parse(current), content)) return [];

        var probe = new RoomEvent("$probe", room.Id, device.UserId, MemberEventType, device.StateKey, content.ToJsonString(), 0);
        if (RoomAuth.Check(room, probe) is { } reason)
        {
            // Ending consent never fails on the mirror: the stream is the truth, and clients ignore non-members' state.
            if (!mustPublish) return [];
            throw new MatrixException(MatrixError.Forbidden(
                $"Cannot publish your {MemberEventType} state: {reason}. The room's power levels must let members send it " +
                $"(events[\"{MemberEventType}\"] = 0)."));
        }
        return [new RoomEventDraft(device.UserId, MemberEventType, device.StateKey, content)];
    }
}
