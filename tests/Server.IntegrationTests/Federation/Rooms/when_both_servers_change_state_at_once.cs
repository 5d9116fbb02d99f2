using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Rooms;

/// <summary>A fork: both servers set the topic on the same prev event; each ends with the same winner (ConcurrentState), compared via /state.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_both_servers_change_state_at_once(IntegrationFixture fixture)
{
    [Fact]
    public async Task concurrent_topics_converge_to_the_same_state_on_both()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2, "bob");
        var room = await alice.CreateRoomAsync(new { preset = "public_chat", power_level_content_override = new { state_default = 0 } });
        await bob.JoinViaAsync(room, FederationPair.Hs1Name);

        // hs2's topic event, built on hs2's view (the join) before it hears of hs1's topic.
        JsonObject fromHs2;
        await using (var session = pair.Hs2.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession())
            fromHs2 = PduFactory.Create(FederationPair.Hs2Name, (await session.LoadAsync<RoomState>(room))!, (await session.LoadAsync<RoomDag>(room))!,
                room, bob.UserId, EventTypes.Topic, "", new JsonObject { ["topic"] = "from hs2" }, null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        using var hs2Key = await SignedRequest.KeyOf(pair.Hs2);
        var (signed, hs2Topic) = PduFactory.Seal(fromHs2, "10", FederationPair.Hs2Name, hs2Key);

        // hs2 takes its own event first, hs1 its own first: each sees the pair in the opposite order.
        await SendAsHs2Async(pair, pair.Hs2, signed, hs2Topic);
        var hs1Topic = (await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic", new { topic = "from hs1" }))["event_id"]!.GetValue<string>();
        await SendAsHs2Async(pair, pair.Hs1, signed, hs2Topic);
        await bob.SyncUntilAsync(room, t => t.Any(e => e["event_id"]?.GetValue<string>() == hs1Topic));

        var onHs1 = await alice.StateIdsAsync(room);
        var onHs2 = await bob.StateIdsAsync(room);
        Assert.Equal(onHs1, onHs2);
        Assert.Contains(onHs1["m.room.topic|"], new[] { hs1Topic, hs2Topic });
        var topic = (await bob.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic"))["topic"]!.GetValue<string>();
        Assert.Equal(topic, (await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic"))["topic"]!.GetValue<string>());
    }

    static async Task SendAsHs2Async(FederationPair pair, WalkieHost to, JsonObject pdu, string eventId)
    {
        var txn = new JsonObject { ["origin"] = FederationPair.Hs2Name, ["origin_server_ts"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ["pdus"] = new JsonArray(pdu.DeepClone()) };
        var answer = await (await SignedRequest.SendAsync(pair.Hs2, to, HttpMethod.Put, $"/_matrix/federation/v1/send/fork{Guid.NewGuid():N}", txn)).EnsureMatrixSuccess();
        Assert.Null(answer["pdus"]![eventId]!["error"]);
    }
}
