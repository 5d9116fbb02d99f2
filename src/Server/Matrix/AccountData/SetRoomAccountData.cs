namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>
/// PUT /user/{userId}/rooms/{roomId}/account_data/{type}: like global account data, scoped to a room. `m.fully_read`
/// is set through /read_markers instead (405 M_BAD_JSON here).
/// </summary>
public static class SetRoomAccountData
{
    public static void MapSetRoomAccountData(this RouteGroupBuilder v3) =>
        v3.MapPut("/user/{userId}/rooms/{roomId}/account_data/{type}", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(string userId, string roomId, string type,
        HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if ((AccountDataModule.CheckWrite(http.Device().UserId, userId, type) ?? AccountDataModule.CheckRoomId(roomId)) is { } error)
            return error.ToTypedResult();
        var content = await MatrixBody.ReadElementAsync(http.Request);

        await SyncLog.BeginAsync(session, ct);
        AccountDataStore.Set(session, userId, roomId, type, content.GetRawText(), clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
