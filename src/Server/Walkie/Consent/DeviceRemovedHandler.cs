namespace WalkieTalkie.Server.Walkie.Consent;

/// <summary>A device logged out or deleted: its consents end in every room (each withdrawal cascades the floor revocation).</summary>
public static class DeviceRemovedHandler
{
    public static async Task Handle(DeviceRemoved removed, ConsentService consent, IDocumentStore store, CancellationToken ct)
    {
        List<ConsentSnapshot> consenting;
        await using (var query = store.QuerySession())
            consenting = (await query.Query<ConsentSnapshot>()
                .Where(c => c.UserId == removed.Device.UserId && c.DeviceId == removed.Device.DeviceId && c.Active)
                .ToListAsync(ct)).ToList();

        var reason = removed.Reason == DeviceRemovalReason.LoggedOut ? WithdrawReason.LoggedOut : WithdrawReason.DeviceDeleted;
        foreach (var c in consenting) await consent.WithdrawAllAsync(c.RoomId, [c.Device], reason, ct);
    }
}
