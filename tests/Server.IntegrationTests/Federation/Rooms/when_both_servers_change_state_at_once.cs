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
        var (alice, bob, room) = await pair.SharedRoomAsync(new { preset = "public_chat", power_level_content_override = new { state_default = 0 } });

        // hs2's topic event, built on hs2's view (the join) before it hears of hs1's topic.
        var fromHs2 = await pair.DraftOnHs2Async(room, bob.UserId, EventTypes.Topic, "", new JsonObject { ["topic"] = "from hs2" });
        using var hs2Key = await SignedRequest.KeyOf(pair.Hs2);
        var (signed, hs2Topic) = PduFactory.Seal(fromHs2, "10", FederationPair.Hs2Name, hs2Key);

        // hs2 takes its own event first, hs1 its own first: each sees the pair in the opposite order.
        Assert.Null((await pair.SendAsHs2Async(pair.Hs2, signed)).Result["error"]);
        var hs1Topic = (await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic", new { topic = "from hs1" }))["event_id"]!.GetValue<string>();
        Assert.Null((await pair.SendAsHs2Async(pair.Hs1, signed)).Result["error"]);
        await bob.SyncUntilAsync(room, t => t.Any(e => e["event_id"]?.GetValue<string>() == hs1Topic));

        var onHs1 = await alice.StateIdsAsync(room);
        var onHs2 = await bob.StateIdsAsync(room);
        Assert.Equal(onHs1, onHs2);
        Assert.Contains(onHs1["m.room.topic|"], new[] { hs1Topic, hs2Topic });
        var topic = (await bob.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic"))["topic"]!.GetValue<string>();
        Assert.Equal(topic, (await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic"))["topic"]!.GetValue<string>());
    }
}
