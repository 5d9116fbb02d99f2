using WalkieTalkie.Server.Matrix.Profile;

namespace WalkieTalkie.Server.Federation.Queries;

/// <summary>GET /_matrix/federation/v1/query/profile?user_id=&amp;field=: a local user's display name and avatar.</summary>
public static class QueryProfile
{
    public static void MapQueryProfile(this RouteGroupBuilder federation) => federation.MapGet("/v1/query/profile", Handle);

    static async Task<Results<Ok<ProfileModule.ProfileBody>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, IQuerySession session,
        IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        var userId = http.Request.Query["user_id"].ToString();
        var field = http.Request.Query["field"].ToString();
        if (userId.Length == 0) return MatrixError.MissingParam("user_id is required").ToTypedResult();
        if (!MatrixIds.TryParseUserId(userId, out _, out var server)) return MatrixError.InvalidParam("user_id is not a user id").ToTypedResult();
        if (server != matrix.Value.ServerName) return MatrixError.InvalidParam($"{userId} is not a user of this server").ToTypedResult();
        if (field.Length > 0 && field is not (ProfileModule.DisplayName or ProfileModule.AvatarUrl))
            return MatrixError.InvalidParam("field must be displayname or avatar_url").ToTypedResult();
        return await session.LoadAsync<UserAccount>(userId, ct) is { } account
            ? TypedResults.Ok(ProfileModule.ProfileBody.Of(account.DisplayName, account.AvatarUrl, field.Length == 0 ? null : field))
            : MatrixError.NotFound("User does not exist").ToTypedResult();
    }
}
