using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Consent;

/// <summary>
/// Consent ends when its user leaves (or is kicked or banned from) the room; each withdrawal cascades the floor
/// revocation, and the leave also takes the user's devices off the floor directly.
/// </summary>
public static class MembershipChangedHandler
{
    public static async Task Handle(MembershipChanged changed, ConsentService consent, FloorControl floor, IDocumentStore store,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        if (changed.Membership == Memberships.Join)
        {
            // Only for this server's users: their consent streams are here, and only their mirrors may be written from here
            // (a remote user's mirror is their server's; clearing it from here would erase their live consent).
            if (MatrixIds.IsLocal(changed.UserId, matrix.Value.ServerName))
                await consent.ClearStaleMirrorsAsync(changed.RoomId, changed.UserId, ct);
            return;
        }
        if (changed.Membership is not (Memberships.Leave or Memberships.Ban)) return;

        await using (var query = store.QuerySession())
        {
            var consenting = await query.Query<ConsentSnapshot>()
                .Where(c => c.RoomId == changed.RoomId && c.UserId == changed.UserId && c.Active)
                .ToListAsync(ct);
            await consent.WithdrawAllAsync(changed.RoomId, consenting.Select(c => c.Device).ToList(), WithdrawReason.LeftRoom, ct);
        }

        await floor.HandleAsync(new FloorCommand.Leave(changed.RoomId, changed.UserId), ct);
    }
}
