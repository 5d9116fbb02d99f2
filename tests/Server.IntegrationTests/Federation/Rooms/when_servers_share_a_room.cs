using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Rooms;

/// <summary>Events of a room both servers are in: sent through the durable queue, taken in through /send.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_servers_share_a_room(IntegrationFixture fixture)
{
    [Fact]
    public async Task messages_both_ways_are_seen_through_sync_and_messages_on_both_servers()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (alice, bob, room) = await pair.SharedRoomAsync();

        var fromAlice = await alice.SendTextAsync(room, "hello from hs1");
        var seenByBob = await bob.SyncUntilAsync(room, t => t.HasText("hello from hs1"));
        Assert.Equal(fromAlice, seenByBob.Single(e => e["content"]?["body"]?.GetValue<string>() == "hello from hs1")["event_id"]!.GetValue<string>());

        var fromBob = await bob.SendTextAsync(room, "hello from hs2");
        var seenByAlice = await alice.SyncUntilAsync(room, t => t.HasText("hello from hs2"));
        Assert.Equal(alice.UserId, seenByAlice.First(e => e["content"]?["body"]?.GetValue<string>() == "hello from hs1")["sender"]!.GetValue<string>());
        Assert.Equal(bob.UserId, seenByAlice.Single(e => e["event_id"]?.GetValue<string>() == fromBob)["sender"]!.GetValue<string>());

        foreach (var client in new[] { alice, bob })
        {
            var messages = await client.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/messages?dir=b&limit=50");
            var bodies = messages["chunk"]!.AsArray().Select(e => e!["content"]?["body"]?.GetValue<string>()).OfType<string>().ToList();
            Assert.Equal(["hello from hs2", "hello from hs1"], bodies);
        }
        Assert.Equal(await alice.StateIdsAsync(room), await bob.StateIdsAsync(room));
    }

    [Fact]
    public async Task a_server_that_was_down_receives_what_it_missed_once_it_is_back()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (alice, bob, room) = await pair.SharedRoomAsync();

        await pair.StopAsync(FederationPair.Hs2Name);
        await alice.SendTextAsync(room, "while you were away 1");
        await alice.SendTextAsync(room, "while you were away 2");
        await pair.StartAsync(FederationPair.Hs2Name);

        var timeline = await bob.On(pair.Hs2).SyncUntilAsync(room, t => t.HasText("while you were away 2"));
        Assert.True(timeline.HasText("while you were away 1"));
    }
}
