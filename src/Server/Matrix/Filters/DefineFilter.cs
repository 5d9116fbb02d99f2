namespace WalkieTalkie.Server.Matrix.Filters;

/// <summary>POST /user/{userId}/filter → {"filter_id"}: only for yourself; a filter of the wrong shape is M_BAD_JSON.</summary>
public static class DefineFilter
{
    public sealed record Response(string FilterId);

    public static void MapDefineFilter(this RouteGroupBuilder v3) =>
        v3.MapPost("/user/{userId}/filter", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(string userId, HttpContext http,
        IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (http.Device().UserId != userId) return MatrixError.Forbidden("Cannot create filters for other users").ToTypedResult();
        var filter = await MatrixBody.ReadElementAsync(http.Request);
        SyncFilter.Parse(filter);

        // Random, so never starting with `{` (which /sync reads as inline JSON).
        var filterId = MatrixIds.RandomToken(12);
        session.Insert(new StoredFilter(StoredFilter.Key(userId, filterId), userId, filterId, filter.GetRawText(), clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(new Response(filterId));
    }
}
