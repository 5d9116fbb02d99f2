using WalkieTalkie.Server.Federation.Queries;

namespace WalkieTalkie.Server.Matrix.Profile;

/// <summary>
/// GET /profile/{userId}, GET /profile/{userId}/displayname, GET /profile/{userId}/avatar_url: the profile or one field of
/// it, each absent when unset (`{}` when none); 404 M_NOT_FOUND for unknown users; users of other servers are asked of theirs.
/// </summary>
public static class GetProfile
{
    public static void MapGetProfile(this RouteGroupBuilder v3)
    {
        v3.MapGet("/profile/{userId}", (string userId, IQuerySession session, RemoteProfiles remote, CancellationToken ct) =>
            Handle(userId, null, session, remote, ct));
        v3.MapGet("/profile/{userId}/displayname", (string userId, IQuerySession session, RemoteProfiles remote, CancellationToken ct) =>
            Handle(userId, ProfileModule.DisplayName, session, remote, ct));
        v3.MapGet("/profile/{userId}/avatar_url", (string userId, IQuerySession session, RemoteProfiles remote, CancellationToken ct) =>
            Handle(userId, ProfileModule.AvatarUrl, session, remote, ct));
    }

    static async Task<Results<Ok<ProfileModule.ProfileBody>, JsonHttpResult<MatrixError>>> Handle(string userId, string? field,
        IQuerySession session, RemoteProfiles remote, CancellationToken ct)
    {
        if (!MatrixIds.TryParseUserId(userId, out _, out _)) return ProfileModule.InvalidUserId(userId).ToTypedResult();
        if (remote.IsRemote(userId)) return await remote.GetAsync(userId, field, ct);
        return await session.LoadAsync<UserAccount>(userId, ct) is { } account
            ? TypedResults.Ok(ProfileModule.ProfileBody.Of(account.DisplayName, account.AvatarUrl, field))
            : ProfileModule.ProfileNotFound().ToTypedResult();
    }
}
