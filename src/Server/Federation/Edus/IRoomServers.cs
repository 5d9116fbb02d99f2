using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>Other servers with a user in a room that the user is in: who hears of the user's device changes.</summary>
public interface IRoomServers
{
    Task<IReadOnlySet<string>> SharingARoomWithAsync(string userId, CancellationToken ct);
}

/// <summary>From the joined members this server knows (RoomMember documents): the servers of their user ids.</summary>
public sealed class MemberServers(IDocumentStore store, Microsoft.Extensions.Options.IOptions<MatrixOptions> matrix) : IRoomServers
{
    public async Task<IReadOnlySet<string>> SharingARoomWithAsync(string userId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var users = await DeviceLists.UsersSharingARoomWithAsync(session, userId, ct);
        return users.Select(u => MatrixIds.TryParseUserId(u, out _, out var server) ? server : null)
            .Where(s => s is not null && s != matrix.Value.ServerName).Select(s => s!).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
