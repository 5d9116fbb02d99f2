namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>Common room steps of the Matrix client-server API, used by many test classes.</summary>
public static class RoomSteps
{
    public static async Task<string> CreateRoomAsync(this MatrixTestClient client, object? body = null) =>
        (await client.PostJsonAsync("/_matrix/client/v3/createRoom", body ?? new { }))["room_id"]!.GetValue<string>();

    public static async Task<string> SendTextAsync(this MatrixTestClient client, string roomId, string text) =>
        (await client.PutJsonAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/send/m.room.message/{Guid.NewGuid():N}",
            new { msgtype = "m.text", body = text }))["event_id"]!.GetValue<string>();

    public static Task<JsonObject> InviteAsync(this MatrixTestClient client, string roomId, string userId) =>
        client.PostJsonAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/invite", new { user_id = userId });

    public static Task<JsonObject> JoinAsync(this MatrixTestClient client, string roomId) =>
        client.PostJsonAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(roomId)}", new { });

    public static Task<JsonObject> SyncAsync(this MatrixTestClient client, string? since = null, int timeoutMs = 0, string? filter = null)
    {
        var query = $"/_matrix/client/v3/sync?timeout={timeoutMs}";
        if (since is not null) query += "&since=" + Uri.EscapeDataString(since);
        if (filter is not null) query += "&filter=" + Uri.EscapeDataString(filter);
        return client.GetJsonAsync(query);
    }

    public static IEnumerable<JsonObject> TimelineOf(this JsonObject sync, string roomId) =>
        sync["rooms"]?["join"]?[roomId]?["timeline"]?["events"]?.AsArray().Select(e => e!.AsObject()) ?? [];

    public static string Path(string roomId) => Uri.EscapeDataString(roomId);
}
