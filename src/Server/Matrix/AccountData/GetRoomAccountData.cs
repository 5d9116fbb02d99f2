namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>GET /user/{userId}/rooms/{roomId}/account_data/{type}: 404 M_NOT_FOUND when unset, 400 M_INVALID_PARAM for a bad room id.</summary>
public static class GetRoomAccountData
{
    public static void MapGetRoomAccountData(this RouteGroupBuilder v3) =>
        v3.MapGet("/user/{userId}/rooms/{roomId}/account_data/{type}", Handle).RequireAccessToken();

    static async Task<Results<Ok<RawJson>, JsonHttpResult<MatrixError>>> Handle(string userId, string roomId, string type,
        HttpContext http, IQuerySession session, CancellationToken ct)
    {
        if (http.Device().UserId != userId) return MatrixError.Forbidden("Cannot get account data for other users.").ToTypedResult();
        if (AccountDataModule.CheckRoomId(roomId) is { } invalid) return invalid.ToTypedResult();
        return await AccountDataStore.GetAsync(session, userId, roomId, type, ct) is { } content
            ? TypedResults.Ok(new RawJson(content))
            : MatrixError.NotFound("Room account data not found.").ToTypedResult();
    }
}
