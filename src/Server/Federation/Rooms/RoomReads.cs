using Microsoft.Extensions.Options;
using WalkieTalkie.Server.Federation.Transport;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// Reading a room over federation: GET /v1/event/{eventId}, /v1/state/{roomId}, /v1/state_ids/{roomId},
/// /v1/backfill/{roomId} and POST /v1/get_missing_events/{roomId}; only for servers that have (or had) a member.
/// </summary>
public static class RoomReads
{
    const int MaxLimit = 100;

    public static void MapRoomReads(this RouteGroupBuilder federation)
    {
        federation.MapGet("/v1/event/{eventId}", GetEvent);
        federation.MapGet("/v1/state/{roomId}", (string roomId, HttpContext http, IQuerySession q, CancellationToken ct) => State(roomId, http, q, ids: false, ct));
        federation.MapGet("/v1/state_ids/{roomId}", (string roomId, HttpContext http, IQuerySession q, CancellationToken ct) => State(roomId, http, q, ids: true, ct));
        federation.MapGet("/v1/backfill/{roomId}", Backfill);
        federation.MapPost("/v1/get_missing_events/{roomId}", MissingEvents);
    }

    /// <summary>The room, if the requesting server may read it; else the error.</summary>
    static async Task<(RoomState? Room, IResult? Error)> ReadableAsync(IQuerySession q, string roomId, HttpContext http, CancellationToken ct)
    {
        var room = await RoomStates.LoadAsync(q, roomId, ct);
        if (room is null || !room.Exists) return (null, MatrixError.NotFound("Unknown room").ToResult());
        return PduStore.ServerSeesRoom(room, http.FederationOrigin())
            ? (room, null) : (null, MatrixError.Forbidden("Your server has no member in this room").ToResult());
    }

    static JsonObject Envelope(string serverName, TimeProvider clock, IEnumerable<StoredPdu> pdus) => new()
    {
        ["origin"] = serverName,
        ["origin_server_ts"] = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        ["pdus"] = PduStore.Array(pdus),
    };

    static async Task<IResult> GetEvent(string eventId, HttpContext http, IQuerySession q, TimeProvider clock, IOptions<MatrixOptions> matrix,
        CancellationToken ct)
    {
        if (await q.LoadAsync<StoredPdu>(eventId, ct) is not { } pdu) return MatrixError.NotFound("Unknown event").ToResult();
        var (_, error) = await ReadableAsync(q, pdu.RoomId, http, ct);
        return error ?? Results.Json(Envelope(matrix.Value.ServerName, clock, [pdu]));
    }

    static async Task<IResult> State(string roomId, HttpContext http, IQuerySession q, bool ids, CancellationToken ct)
    {
        var (_, error) = await ReadableAsync(q, roomId, http, ct);
        if (error is not null) return error;
        var eventId = http.Request.Query["event_id"].ToString();
        if (eventId.Length == 0) return MatrixError.MissingParam("event_id is required").ToResult();
        if (await PduStore.StateBeforeAsync(q, roomId, eventId, ct) is not { } before) return MatrixError.NotFound("Unknown event").ToResult();
        var stateIds = PduStore.StateIds(before).ToList();
        var chain = await PduStore.AuthChainAsync(q, stateIds, ct);
        if (ids)
            return Results.Json(new JsonObject
            {
                ["auth_chain_ids"] = new JsonArray(chain.Select(p => (JsonNode)p.Id).ToArray()),
                ["pdu_ids"] = new JsonArray(stateIds.Select(id => (JsonNode)id).ToArray()),
            });
        var pdus = (await PduStore.LoadAsync(q, stateIds, ct)).Values.OrderBy(p => p.Depth);
        return Results.Json(new JsonObject { ["auth_chain"] = PduStore.Array(chain), ["pdus"] = PduStore.Array(pdus) });
    }

    static async Task<IResult> Backfill(string roomId, HttpContext http, IQuerySession q, TimeProvider clock, IOptions<MatrixOptions> matrix,
        CancellationToken ct)
    {
        var (_, error) = await ReadableAsync(q, roomId, http, ct);
        if (error is not null) return error;
        var from = http.Request.Query["v"].OfType<string>().ToList();
        if (from.Count == 0) return MatrixError.MissingParam("v is required").ToResult();
        if (!int.TryParse(http.Request.Query["limit"], out var limit) || limit < 1) return MatrixError.InvalidParam("limit must be a positive integer").ToResult();
        var found = await WalkBackAsync(q, roomId, from, stop: [], Math.Min(limit, MaxLimit), minDepth: 0, includeStart: true, ct);
        return Results.Json(Envelope(matrix.Value.ServerName, clock, found.OrderByDescending(p => p.Depth)));
    }

    static async Task<IResult> MissingEvents(string roomId, HttpContext http, IQuerySession q, CancellationToken ct)
    {
        var (_, error) = await ReadableAsync(q, roomId, http, ct);
        if (error is not null) return error;
        var body = await MatrixBody.ReadObjectAsync(http.Request);
        static List<string> Ids(JsonNode? n) => n is JsonArray a ? a.OfType<JsonValue>().Select(v => v.GetValue<string>()).ToList() : [];
        var latest = Ids(body["latest_events"]);
        if (latest.Count == 0) return MatrixError.BadJson("latest_events must list event ids").ToResult();
        var limit = body["limit"] is JsonValue l && l.TryGetValue<int>(out var n) ? Math.Clamp(n, 1, MaxLimit) : 10;
        var minDepth = body["min_depth"] is JsonValue d && d.TryGetValue<long>(out var m) ? m : 0;
        var found = await WalkBackAsync(q, roomId, latest, Ids(body["earliest_events"]).ToHashSet(), limit, minDepth, includeStart: false, ct);
        return Results.Json(new JsonObject { ["events"] = PduStore.Array(found.OrderBy(p => p.Depth)) });
    }

    /// <summary>Breadth-first through prev_events from <paramref name="start"/>, newest first, not past <paramref name="stop"/>.</summary>
    static async Task<List<StoredPdu>> WalkBackAsync(IQuerySession q, string roomId, IEnumerable<string> start, HashSet<string> stop, int limit,
        long minDepth, bool includeStart, CancellationToken ct)
    {
        var seen = new HashSet<string>(stop);
        var found = new List<StoredPdu>();
        var frontier = new List<string>();
        var first = await PduStore.LoadAsync(q, start, ct);
        foreach (var pdu in first.Values.Where(p => p.RoomId == roomId))
        {
            seen.Add(pdu.Id);
            if (includeStart) found.Add(pdu);
            frontier.AddRange(PduStore.PrevIds(pdu));
        }
        while (frontier.Count > 0 && found.Count < limit)
        {
            var next = await PduStore.LoadAsync(q, frontier.Where(seen.Add), ct);
            frontier = [];
            foreach (var pdu in next.Values.Where(p => p.RoomId == roomId && !p.Outlier && p.Depth >= minDepth).OrderByDescending(p => p.Depth))
            {
                if (found.Count >= limit) break;
                found.Add(pdu);
                frontier.AddRange(PduStore.PrevIds(pdu));
            }
        }
        return found.Take(limit).ToList();
    }
}
