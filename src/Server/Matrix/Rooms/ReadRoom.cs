namespace WalkieTalkie.Server.Matrix.Rooms;

/// <summary>What the endpoints reading a room share: who may read it, state entries as events, redacted events stripped.</summary>
public static class ReadRoom
{
    /// <summary>The room if the caller may read it (joined), else the Matrix error to answer.</summary>
    public static async Task<(RoomState? Room, MatrixError? Error)> ReadableAsync(IQuerySession q, string roomId, string userId, CancellationToken ct)
    {
        var room = await RoomStates.LoadAsync(q, roomId, ct);
        if (room is null || !room.Exists) return (null, MatrixError.Forbidden("You are not in this room (or it does not exist)"));
        return room.IsJoined(userId) ? (room, null) : (null, MatrixError.Forbidden("You are not joined to this room"));
    }

    public static RoomEvent ToEvent(string roomId, string type, string stateKey, StateEntry entry) =>
        new(entry.EventId, roomId, entry.Sender, type, stateKey, entry.Content, entry.OriginServerTs);

    /// <summary>The client form of an event, stripped with `redacted_because` when it was redacted.</summary>
    public static async Task<JsonObject> ToClientEventAsync(IQuerySession q, RoomState room, RoomEvent e, long now, string? forDevice,
        CancellationToken ct)
    {
        if (!room.Redactions.TryGetValue(e.EventId, out var redactionId)) return e.ToClientEvent(now, forDevice);
        var redaction = await RoomWriter.LoadEventAsync(q, redactionId, ct);
        return e.ToClientEvent(now, forDevice, redaction?.ToClientEvent(now).ToJsonString() ?? "{}");
    }
}
