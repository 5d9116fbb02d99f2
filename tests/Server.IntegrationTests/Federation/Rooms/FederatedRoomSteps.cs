using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;

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

    /// <summary>alice of hs1 creates a room (public unless <paramref name="createBody"/> says otherwise), bob of hs2 joins it via hs1.</summary>
    public static async Task<(MatrixTestClient Alice, MatrixTestClient Bob, string Room)> SharedRoomAsync(this FederationPair pair, object? createBody = null)
    {
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2, "bob");
        var room = await alice.CreateRoomAsync(createBody ?? new { preset = "public_chat" });
        await bob.JoinViaAsync(room, FederationPair.Hs1Name);
        return (alice, bob, room);
    }

    /// <summary>An event as hs2 would build it on its current view of the room (not yet signed).</summary>
    public static async Task<JsonObject> DraftOnHs2Async(this FederationPair pair, string room, string sender, string type, string? stateKey, JsonObject content)
    {
        await using var session = pair.Hs2.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
        return PduFactory.Create(FederationPair.Hs2Name, (await session.LoadAsync<RoomState>(room))!, (await session.LoadAsync<RoomDag>(room))!,
            room, sender, type, stateKey, content, null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    /// <summary>A one-PDU transaction from hs2 to <paramref name="to"/>; the answer's result for the PDU.</summary>
    public static async Task<(string EventId, JsonObject Result)> SendAsHs2Async(this FederationPair pair, WalkieHost to, JsonObject pdu)
    {
        var eventId = EventHashes.EventId(pdu, "10");
        var txn = new JsonObject
        {
            ["origin"] = FederationPair.Hs2Name, ["origin_server_ts"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            ["pdus"] = new JsonArray(pdu.DeepClone()),
        };
        var response = await SignedRequest.SendAsync(pair.Hs2, to, HttpMethod.Put, $"/_matrix/federation/v1/send/t{Guid.NewGuid():N}", txn);
        return (eventId, (await response.EnsureMatrixSuccess())["pdus"]![eventId]!.AsObject());
    }

    public static string Hs1 => FederationPair.Hs1Name;
}
