using WalkieTalkie.Server.Federation.Receiving;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>`m.receipt` in: {room id: {"m.read": {user id: {event_ids, data: {ts, thread_id}}}}} for users of the origin.</summary>
public sealed class ReceiptEdu(IDocumentStore store, TimeProvider clock) : IIncomingEdu
{
    public const string Type = "m.receipt";

    public string EduType => Type;

    public async Task HandleAsync(string origin, JsonObject content, CancellationToken ct)
    {
        var receipts = new List<ReceiptSent>();
        foreach (var (roomId, byType) in content)
        {
            if (byType is not JsonObject types || types["m.read"] is not JsonObject users) continue;
            foreach (var (userId, receipt) in users)
            {
                if (!MatrixIds.TryParseUserId(userId, out _, out var server) || server != origin) continue;
                if (receipt?["event_ids"] is not JsonArray ids) continue;
                var data = receipt["data"] as JsonObject;
                var ts = data?["ts"] is JsonValue v && v.TryGetValue<long>(out var t) ? t : clock.GetUtcNow().ToUnixTimeMilliseconds();
                var thread = data?["thread_id"] is JsonValue th && th.TryGetValue<string>(out var s) ? s : null;
                foreach (var id in ids)
                    if (id is JsonValue e && e.TryGetValue<string>(out var eventId))
                        receipts.Add(new ReceiptSent(roomId, userId, "m.read", eventId, thread, ts));
            }
        }
        if (receipts.Count == 0) return;
        await using var session = store.LightweightSession();
        await SyncLog.BeginAsync(session, ct);
        foreach (var r in receipts) session.Events.Append(SyncStreams.Receipts(r.RoomId), r);
        await session.SaveChangesAsync(ct);
    }
}
