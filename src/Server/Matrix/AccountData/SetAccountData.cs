namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>
/// PUT /user/{userId}/account_data/{type} and PUT /user/{userId}/rooms/{roomId}/account_data/{type}: any JSON object of
/// at most 64 KiB, stored as sent. `m.fully_read` is set through /read_markers instead (405 M_BAD_JSON here).
/// </summary>
public static class SetAccountData
{
    public static void MapSetAccountData(this RouteGroupBuilder v3)
    {
        v3.MapPut("/user/{userId}/account_data/{type}", (string userId, string type, HttpContext http, IDocumentSession session,
            TimeProvider clock, CancellationToken ct) => Handle(userId, null, type, http, session, clock, ct)).RequireAccessToken();
        v3.MapPut("/user/{userId}/rooms/{roomId}/account_data/{type}", (string userId, string roomId, string type, HttpContext http,
            IDocumentSession session, TimeProvider clock, CancellationToken ct) => Handle(userId, roomId, type, http, session, clock, ct))
            .RequireAccessToken();
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string userId, string? roomId, string type,
        HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var error = AccountDataModule.CheckWrite(http.Device().UserId, userId, type);
        if ((error ?? (roomId is null ? null : AccountDataModule.CheckRoomId(roomId))) is { } invalid) return invalid.ToTypedResult();
        var content = await MatrixBody.ReadElementAsync(http.Request);

        await SyncLog.BeginAsync(session, ct);
        AccountDataStore.Set(session, userId, roomId, type, content.GetRawText(), clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
