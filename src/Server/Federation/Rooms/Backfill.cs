namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>GET /_matrix/federation/v1/backfill/{roomId}?v=&amp;limit=: the events before (and including) the given ones, newest first.</summary>
public static class Backfill
{
    public static void MapBackfill(this RouteGroupBuilder federation) => federation.MapGet("/v1/backfill/{roomId}", Handle);

    static async Task<Results<Ok<PduTransaction>, JsonHttpResult<MatrixError>>> Handle(string roomId, HttpContext http, IQuerySession q,
        TimeProvider clock, IOptions<MatrixOptions> matrix, CancellationToken ct)
    {
        if (await RoomReads.RefusalAsync(q, roomId, http, ct) is { } refusal) return refusal.ToTypedResult();
        var from = http.Request.Query["v"].OfType<string>().ToList();
        if (from.Count == 0) return MatrixError.MissingParam("v is required").ToTypedResult();
        if (!int.TryParse(http.Request.Query["limit"], out var limit) || limit < 1)
            return MatrixError.InvalidParam("limit must be a positive integer").ToTypedResult();
        var found = await RoomReads.WalkBackAsync(q, roomId, from, stop: [], Math.Min(limit, RoomReads.MaxLimit), minDepth: 0, includeStart: true, ct);
        return TypedResults.Ok(PduTransaction.Of(matrix.Value.ServerName, clock, found.OrderByDescending(p => p.Depth)));
    }
}
