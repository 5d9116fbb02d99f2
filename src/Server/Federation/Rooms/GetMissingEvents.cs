namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// POST /_matrix/federation/v1/get_missing_events/{roomId}: the events before `latest_events` back to `earliest_events`
/// (at most `limit`, not below `min_depth`), oldest first.
/// </summary>
public static class GetMissingEvents
{
    public sealed record Response(IReadOnlyList<JsonObject> Events);

    public static void MapGetMissingEvents(this RouteGroupBuilder federation) => federation.MapPost("/v1/get_missing_events/{roomId}", Handle);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(string roomId, HttpContext http, IQuerySession q, CancellationToken ct)
    {
        if (await RoomReads.RefusalAsync(q, roomId, http, ct) is { } refusal) return refusal.ToTypedResult();
        var body = await MatrixBody.ReadObjectAsync(http.Request);
        static List<string> Ids(JsonNode? n) => n is JsonArray a ? a.OfType<JsonValue>().Select(v => v.GetValue<string>()).ToList() : [];
        var latest = Ids(body["latest_events"]);
        if (latest.Count == 0) return MatrixError.BadJson("latest_events must list event ids").ToTypedResult();
        var limit = body["limit"] is JsonValue l && l.TryGetValue<int>(out var n) ? Math.Clamp(n, 1, RoomReads.MaxLimit) : 10;
        var minDepth = body["min_depth"] is JsonValue d && d.TryGetValue<long>(out var m) ? m : 0;
        var found = await RoomReads.WalkBackAsync(q, roomId, latest, Ids(body["earliest_events"]).ToHashSet(), limit, minDepth, includeStart: false, ct);
        return TypedResults.Ok(new Response(PduStore.Objects(found.OrderBy(p => p.Depth))));
    }
}
