namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>PUT /user/{userId}/account_data/{type}: any JSON object of at most 64 KiB, stored as sent.</summary>
public static class SetAccountData
{
    public static void MapSetAccountData(this RouteGroupBuilder v3) =>
        v3.MapPut("/user/{userId}/account_data/{type}", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string userId, string type, HttpContext http,
        IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (AccountDataModule.CheckWrite(http.Device().UserId, userId, type) is { } error) return error.ToTypedResult();
        var content = await MatrixBody.ReadElementAsync(http.Request);

        await SyncLog.BeginAsync(session, ct);
        AccountDataStore.Set(session, userId, null, type, content.GetRawText(), clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
