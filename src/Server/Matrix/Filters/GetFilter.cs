namespace WalkieTalkie.Server.Matrix.Filters;

/// <summary>GET /user/{userId}/filter/{filterId}: the filter as uploaded; only your own; 404 M_NOT_FOUND when unknown.</summary>
public static class GetFilter
{
    public static void MapGetFilter(this RouteGroupBuilder v3) =>
        v3.MapGet("/user/{userId}/filter/{filterId}", Handle).RequireAccessToken();

    static async Task<Results<Ok<RawJson>, JsonHttpResult<MatrixError>>> Handle(string userId, string filterId,
        HttpContext http, IQuerySession session, CancellationToken ct)
    {
        if (http.Device().UserId != userId) return MatrixError.Forbidden("Cannot read filters of other users").ToTypedResult();
        var stored = await session.LoadAsync<StoredFilter>(StoredFilter.Key(userId, filterId), ct);
        return stored is null ? MatrixError.NotFound("No such filter").ToTypedResult() : TypedResults.Ok(new RawJson(stored.Json));
    }
}
