namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>GET /user/{userId}/account_data/{type}: the content as stored; 404 M_NOT_FOUND when unset.</summary>
public static class GetAccountData
{
    public static void MapGetAccountData(this RouteGroupBuilder v3) =>
        v3.MapGet("/user/{userId}/account_data/{type}", Handle).RequireAccessToken();

    static async Task<Results<Ok<RawJson>, JsonHttpResult<MatrixError>>> Handle(string userId, string type, HttpContext http,
        IQuerySession session, CancellationToken ct)
    {
        if (http.Device().UserId != userId) return MatrixError.Forbidden("Cannot get account data for other users.").ToTypedResult();
        return await AccountDataStore.GetAsync(session, userId, null, type, ct) is { } content
            ? TypedResults.Ok(new RawJson(content))
            : MatrixError.NotFound("Account data not found.").ToTypedResult();
    }
}
