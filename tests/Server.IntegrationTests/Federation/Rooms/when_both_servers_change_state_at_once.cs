using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Rooms;

/// <summary>
/// Forks: both servers change state on the same prev event, each sees the two events in the opposite order, and both end
/// with the state resolution v2 answer (ConcurrentState), compared via /state.
/// </summary>
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
        // Same power levels cited, so the later origin_server_ts wins: hs1's, sent after hs2's was drafted.
        Assert.Equal(hs1Topic, onHs1["m.room.topic|"]);
        var topic = (await bob.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic"))["topic"]!.GetValue<string>();
        Assert.Equal(topic, (await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic"))["topic"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_topic_set_by_a_user_whose_power_was_concurrently_removed_is_undone_on_both()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (alice, bob, room) = await pair.SharedRoomAsync(new
        {
            preset = "public_chat", topic = "before",
            power_level_content_override = new { users = new Dictionary<string, int> { ["@alice:hs1.test"] = 100, ["@bob:hs2.test"] = 50 } },
        });
        var before = (await alice.StateIdsAsync(room))["m.room.topic|"];

        // Bob (50) sets the topic on hs2 while Alice, not yet knowing, takes his power away on hs1.
        var fromHs2 = await pair.DraftOnHs2Async(room, bob.UserId, EventTypes.Topic, "", new JsonObject { ["topic"] = "from bob" });
        using var hs2Key = await SignedRequest.KeyOf(pair.Hs2);
        var (signed, bobsTopic) = PduFactory.Seal(fromHs2, "10", FederationPair.Hs2Name, hs2Key);
        Assert.Null((await pair.SendAsHs2Async(pair.Hs2, signed)).Result["error"]);
        var levelsPath = $"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.power_levels";
        var levels = await alice.GetJsonAsync(levelsPath);
        levels["users"]![bob.UserId] = 0;
        var demotion = (await alice.PutJsonAsync(levelsPath, levels))["event_id"]!.GetValue<string>();

        // hs1 refuses Bob's topic (he has no power there any more); hs2 resolves the fork when the demotion arrives.
        Assert.NotNull((await pair.SendAsHs2Async(pair.Hs1, signed)).Result["error"]);
        await bob.SyncUntilAsync(room, t => t.Any(e => e["event_id"]?.GetValue<string>() == demotion));

        var onHs1 = await alice.StateIdsAsync(room);
        var onHs2 = await bob.StateIdsAsync(room);
        Assert.Equal(onHs1, onHs2);
        Assert.Equal(demotion, onHs2["m.room.power_levels|"]);
        // "Greater depth wins" left Bob's topic on hs2 (topic and power levels are different keys): v2 authorises it again.
        Assert.NotEqual(bobsTopic, onHs2["m.room.topic|"]);
        Assert.Equal(before, onHs2["m.room.topic|"]);
        Assert.Equal("before", (await bob.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.topic"))["topic"]!.GetValue<string>());
    }
}
