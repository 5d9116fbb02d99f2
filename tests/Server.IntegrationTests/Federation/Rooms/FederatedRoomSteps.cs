using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Rooms;

/// <summary>Steps across two servers: a public room on hs1, joins from hs2, waiting for what federation delivers.</summary>
public static class FederatedRoomSteps
{
    public static async Task<string> CreatePublicRoomAsync(this MatrixTestClient client, string? alias = null) =>
        await client.CreateRoomAsync(alias is null ? new { preset = "public_chat" } : new { preset = "public_chat", room_alias_name = alias });

    public static Task<JsonObject> JoinViaAsync(this MatrixTestClient client, string roomIdOrAlias, string server) =>
        client.PostJsonAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(roomIdOrAlias)}?server_name={Uri.EscapeDataString(server)}", new { });

    /// <summary>Long-polls /sync until <paramref name="seen"/> holds for the room's timeline so far; fails after two minutes.</summary>
    public static async Task<List<JsonObject>> SyncUntilAsync(this MatrixTestClient client, string roomId, Func<IReadOnlyList<JsonObject>, bool> seen)
    {
        var timeline = new List<JsonObject>();
        string? since = null;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!deadline.IsCancellationRequested)
        {
            var sync = await client.SyncAsync(since, timeoutMs: since is null ? 0 : 5_000);
            timeline.AddRange(sync.TimelineOf(roomId));
            if (seen(timeline)) return timeline;
            since = sync["next_batch"]!.GetValue<string>();
        }
        throw new Xunit.Sdk.XunitException($"{client.UserId} never saw what was expected in {roomId}; timeline: " +
            string.Join(", ", timeline.Select(e => $"{e["type"]}:{e["content"]?["body"] ?? e["content"]?["membership"]}")));
    }

    public static bool HasText(this IReadOnlyList<JsonObject> timeline, string body) =>
        timeline.Any(e => e["type"]?.GetValue<string>() == "m.room.message" && e["content"]?["body"]?.GetValue<string>() == body);

    public static async Task<HashSet<string>> JoinedMembersAsync(this MatrixTestClient client, string roomId) =>
        (await client.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(roomId)}/joined_members"))["joined"]!.AsObject()
            .Select(kv => kv.Key).ToHashSet();

    /// <summary>The room's state as (type, state_key) → event id, for comparing two servers.</summary>
    public static async Task<SortedDictionary<string, string>> StateIdsAsync(this MatrixTestClient client, string roomId)
    {
        using var response = await client.Http.GetAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(roomId)}/state");
        var state = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        return new(state.ToDictionary(e => $"{e!["type"]}|{e["state_key"]}", e => e!["event_id"]!.GetValue<string>()), StringComparer.Ordinal);
    }

    public static string Hs1 => FederationPair.Hs1Name;
}
