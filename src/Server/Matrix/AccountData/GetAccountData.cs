namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>
/// GET /user/{userId}/account_data/{type} and GET /user/{userId}/rooms/{roomId}/account_data/{type}: the content as
/// stored; 404 M_NOT_FOUND when unset, 400 M_INVALID_PARAM for a bad room id.
/// </summary>
public static class GetAccountData
{
    public static void MapGetAccountData(this RouteGroupBuilder v3)
    {
        v3.MapGet("/user/{userId}/account_data/{type}", (string userId, string type, HttpContext http, IQuerySession session,
            CancellationToken ct) => Handle(userId, null, type, http, session, ct)).RequireAccessToken();
        v3.MapGet("/user/{userId}/rooms/{roomId}/account_data/{type}", (string userId, string roomId, string type, HttpContext http,
            IQuerySession session, CancellationToken ct) => Handle(userId, roomId, type, http, session, ct)).RequireAccessToken();
    }

    static async Task<Results<Ok<RawJson>, JsonHttpResult<MatrixError>>> Handle(string userId, string? roomId, string type,
        HttpContext http, IQuerySession session, CancellationToken ct)
    {
        if (http.Device().UserId != userId) return MatrixError.Forbidden("Cannot get account data for other users.").ToTypedResult();
        if (roomId is not null && AccountDataModule.CheckRoomId(roomId) is { } invalid) return invalid.ToTypedResult();
        return await AccountDataStore.GetAsync(session, userId, roomId, type, ct) is { } content
            ? TypedResults.Ok(new RawJson(content))
            : MatrixError.NotFound(roomId is null ? "Account data not found." : "Room account data not found.").ToTypedResult();
    }
}
