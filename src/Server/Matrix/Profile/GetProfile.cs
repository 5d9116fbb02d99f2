using WalkieTalkie.Server.Federation.Queries;

namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>GET /profile/{userId}: display name and avatar URL, each absent when unset; 404 M_NOT_FOUND for unknown users.</summary>
public static class GetProfile
{
    public static void MapGetProfile(this RouteGroupBuilder v3) =>
        v3.MapGet("/profile/{userId}", async (string userId, IQuerySession session, RemoteProfiles remote, CancellationToken ct) =>
            !MatrixIds.TryParseUserId(userId, out _, out _) ? ProfileModule.InvalidUserId(userId)
            : remote.IsRemote(userId) ? await remote.GetAsync(userId, null, ct)
            : await session.LoadAsync<UserAccount>(userId, ct) is { } account
                ? TypedResults.Ok(new ProfileModule.ProfileBody(account.DisplayName, account.AvatarUrl))
                : ProfileModule.ProfileNotFound());
}
