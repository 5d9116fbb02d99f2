using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>Which other servers take part in rooms: who hears of device changes, typing and receipts.</summary>
public interface IRoomServers
{
    /// <summary>Other servers with a user joined to a room that the user is joined to.</summary>
    Task<IReadOnlySet<string>> SharingARoomWithAsync(string userId, CancellationToken ct);

    /// <summary>Other servers with a user joined to the room.</summary>
    Task<IReadOnlySet<string>> InRoomAsync(string roomId, CancellationToken ct);
}

/// <summary>From the joined members this server knows (RoomMember documents): the servers of their user ids.</summary>
public sealed class MemberServers(IDocumentStore store, Microsoft.Extensions.Options.IOptions<MatrixOptions> matrix) : IRoomServers
{
    public async Task<IReadOnlySet<string>> SharingARoomWithAsync(string userId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var users = await DeviceLists.UsersSharingARoomWithAsync(session, userId, ct);
        return Others(users);
    }

    public async Task<IReadOnlySet<string>> InRoomAsync(string roomId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var users = await session.Query<RoomMember>().Where(m => m.RoomId == roomId && m.Membership == Memberships.Join)
            .Select(m => m.UserId).ToListAsync(ct);
        return Others(users);
    }

    IReadOnlySet<string> Others(IEnumerable<string> userIds) =>
        userIds.Select(u => MatrixIds.TryParseUserId(u, out _, out var server) ? server : null)
            .Where(s => s is not null && s != matrix.Value.ServerName).Select(s => s!).ToHashSet(StringComparer.OrdinalIgnoreCase);
}
