using WalkieTalkie.Server.Federation.Sending;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>
/// `m.typing` and `m.receipt` out, to every other server in the room. For the rooms part to call where a local user
/// types or sends a receipt (PUT /typing, POST /receipt); the EDUs go through the durable queue like everything else.
/// </summary>
public sealed class EphemeralSender(FederationSender sender, IRoomServers rooms)
{
    public async Task TypingAsync(string roomId, string userId, bool typing, CancellationToken ct = default)
    {
        foreach (var server in await rooms.InRoomAsync(roomId, ct))
            await sender.EnqueueEduAsync(server, TypingEdu.Type, new JsonObject { ["room_id"] = roomId, ["user_id"] = userId, ["typing"] = typing }, ct);
    }

    public async Task ReadReceiptAsync(string roomId, string userId, string eventId, long ts, string? threadId, CancellationToken ct = default)
    {
        var data = new JsonObject { ["ts"] = ts };
        if (threadId is not null) data["thread_id"] = threadId;
        var content = new JsonObject
        {
            [roomId] = new JsonObject
            {
                ["m.read"] = new JsonObject { [userId] = new JsonObject { ["event_ids"] = new JsonArray(eventId), ["data"] = data } },
            },
        };
        foreach (var server in await rooms.InRoomAsync(roomId, ct)) await sender.EnqueueEduAsync(server, ReceiptEdu.Type, content, ct);
    }
}
