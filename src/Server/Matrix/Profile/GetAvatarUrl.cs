using WalkieTalkie.Server.Federation.Queries;

namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>GET /profile/{userId}/avatar_url: `{}` when the user has none; 404 M_NOT_FOUND for unknown users.</summary>
public static class GetAvatarUrl
{
    public static void MapGetAvatarUrl(this RouteGroupBuilder v3) =>
        v3.MapGet("/profile/{userId}/avatar_url", async (string userId, IQuerySession session, RemoteProfiles remote, CancellationToken ct) =>
            !MatrixIds.TryParseUserId(userId, out _, out _) ? ProfileModule.InvalidUserId(userId)
            : remote.IsRemote(userId) ? await remote.GetAsync(userId, "avatar_url", ct)
            : await session.LoadAsync<UserAccount>(userId, ct) is { } account
                ? TypedResults.Ok(new ProfileModule.ProfileBody(null, account.AvatarUrl))
                : ProfileModule.ProfileNotFound());
}
