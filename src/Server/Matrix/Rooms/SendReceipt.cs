using WalkieTalkie.Server.Federation.Edus;
using WalkieTalkie.Server.Matrix.AccountData;

namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>A read receipt (event on the room's receipts stream, so /sync orders it like everything else).</summary>
public sealed record ReceiptSent(string RoomId, string UserId, string ReceiptType, string EventId, string? ThreadId, long Ts);

/// <summary>
/// POST /rooms/{roomId}/receipt/{receiptType}/{eventId} and POST /rooms/{roomId}/read_markers: `m.read` and
/// `m.read.private` receipts, and the `m.fully_read` marker (room account data).
/// </summary>
public static class SendReceipt
{
    public sealed record ReceiptRequest(string? ThreadId) : IMatrixRequest<ReceiptRequest>
    {
        public static bool EmptyIsObject => true;
    }

    public sealed record ReadMarkersRequest(
        [property: JsonPropertyName("m.fully_read")] string? FullyRead,
        [property: JsonPropertyName("m.read")] string? Read,
        [property: JsonPropertyName("m.read.private")] string? ReadPrivate) : IMatrixRequest<ReadMarkersRequest>
    {
        public static bool EmptyIsObject => true;
    }

    static readonly string[] ReceiptTypes = ["m.read", "m.read.private"];

    public static void MapSendReceipt(this RouteGroupBuilder v3)
    {
        v3.MapPost("/rooms/{roomId}/receipt/{receiptType}/{eventId}", Receipt).RequireAccessToken();
        v3.MapPost("/rooms/{roomId}/read_markers", ReadMarkers).RequireAccessToken();
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Receipt(string roomId, string receiptType, string eventId, ReceiptRequest body, HttpContext http,
        IDocumentStore store, EphemeralSender federation, TimeProvider clock, CancellationToken ct)
    {
        if (receiptType is not ("m.read" or "m.read.private" or "m.fully_read"))
            return MatrixError.InvalidParam($"Unknown receipt type {receiptType}").ToTypedResult();
        return await ReceiptAsync(store, federation, http.Device().UserId, roomId, [(receiptType, eventId)], body.ThreadId, clock, ct);
    }

    static Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> ReadMarkers(string roomId, ReadMarkersRequest body, HttpContext http, IDocumentStore store,
        EphemeralSender federation, TimeProvider clock, CancellationToken ct)
    {
        var markers = new[] { ("m.fully_read", body.FullyRead), ("m.read", body.Read), ("m.read.private", body.ReadPrivate) }
            .Where(m => m.Item2 is not null).Select(m => (m.Item1, m.Item2!)).ToList();
        return ReceiptAsync(store, federation, http.Device().UserId, roomId, markers, null, clock, ct);
    }

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> ReceiptAsync(IDocumentStore store, EphemeralSender federation, string userId, string roomId, List<(string Type, string EventId)> receipts,
        string? threadId, TimeProvider clock, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var (_, error) = await ReadRoom.ReadableAsync(session, roomId, userId, ct);
        if (error is not null) return error.ToTypedResult();
        foreach (var (_, eventId) in receipts)
            if (await RoomWriter.LoadEventAsync(session, eventId, ct) is not { } e || e.RoomId != roomId)
                return MatrixError.NotFound($"Unknown event {eventId}").ToTypedResult();

        await SyncLog.BeginAsync(session, ct);
        var ts = clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (type, eventId) in receipts)
        {
            // m.fully_read is the user's read marker: room account data, not a receipt others see.
            if (type == "m.fully_read")
                AccountDataStore.Set(session, userId, roomId, "m.fully_read", new JsonObject { ["event_id"] = eventId }.ToJsonString(), clock.GetUtcNow());
            else if (ReceiptTypes.Contains(type))
                session.Events.Append(SyncStreams.Receipts(roomId), new ReceiptSent(roomId, userId, type, eventId, threadId, ts));
        }
        await session.SaveChangesAsync(ct);
        // Public receipts go to the other servers in the room as m.receipt; private ones and the read marker stay here.
        foreach (var (type, eventId) in receipts.Where(r => r.Type == "m.read"))
            await federation.ReadReceiptAsync(roomId, userId, eventId, ts, threadId, ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
