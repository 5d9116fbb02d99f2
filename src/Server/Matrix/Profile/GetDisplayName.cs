using WalkieTalkie.Server.Federation.Queries;

namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>GET /profile/{userId}/displayname: `{}` when the user has none; 404 M_NOT_FOUND for unknown users.</summary>
public static class GetDisplayName
{
    public static void MapGetDisplayName(this RouteGroupBuilder v3) =>
        v3.MapGet("/profile/{userId}/displayname", async (string userId, IQuerySession session, RemoteProfiles remote, CancellationToken ct) =>
            !MatrixIds.TryParseUserId(userId, out _, out _) ? ProfileModule.InvalidUserId(userId)
            : remote.IsRemote(userId) ? await remote.GetAsync(userId, "displayname", ct)
            : await session.LoadAsync<UserAccount>(userId, ct) is { } account
                ? TypedResults.Ok(new ProfileModule.ProfileBody(account.DisplayName, null))
                : ProfileModule.ProfileNotFound());
}
