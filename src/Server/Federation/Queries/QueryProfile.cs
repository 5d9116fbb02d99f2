namespace WalkieTalkie.Server.Federation.Queries;

/// <summary>GET /_matrix/federation/v1/query/profile?user_id=&amp;field=: a local user's display name and avatar.</summary>
public static class QueryProfile
{
    public static void MapQueryProfile(this RouteGroupBuilder federation) =>
        federation.MapGet("/v1/query/profile", async (HttpContext http, IQuerySession session, IOptions<MatrixOptions> matrix, CancellationToken ct) =>
        {
            var userId = http.Request.Query["user_id"].ToString();
            var field = http.Request.Query["field"].ToString();
            if (userId.Length == 0) return MatrixError.MissingParam("user_id is required").ToResult();
            if (!MatrixIds.TryParseUserId(userId, out _, out var server)) return MatrixError.InvalidParam("user_id is not a user id").ToResult();
            if (server != matrix.Value.ServerName) return MatrixError.InvalidParam($"{userId} is not a user of this server").ToResult();
            if (field.Length > 0 && field is not ("displayname" or "avatar_url"))
                return MatrixError.InvalidParam("field must be displayname or avatar_url").ToResult();
            if (await session.LoadAsync<UserAccount>(userId, ct) is not { } account) return MatrixError.NotFound("User does not exist").ToResult();
            var body = new JsonObject();
            if (field is "" or "displayname" && account.DisplayName is { } name) body["displayname"] = name;
            if (field is "" or "avatar_url" && account.AvatarUrl is { } avatar) body["avatar_url"] = avatar;
            return TypedResults.Ok(body);
        });
}
