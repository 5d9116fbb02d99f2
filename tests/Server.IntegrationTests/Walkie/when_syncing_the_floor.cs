using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_syncing_the_floor(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    static JsonObject? FloorEphemeral(JsonObject sync, string roomId) =>
        sync["rooms"]?["join"]?[roomId]?["ephemeral"]?["events"]?.AsArray()
            .Select(e => e!.AsObject()).LastOrDefault(e => e["type"]!.GetValue<string>() == "org.matrix.msc4002.floor")?["content"]?.AsObject();

    [Fact]
    public async Task the_floor_appears_as_ephemeral_event_with_the_GET_content_and_follows_changes()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(alice);
        var first = await bob.GetJsonAsync("/_matrix/client/v3/sync");
        var since = first["next_batch"]!.GetValue<string>();

        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        var (taken, _) = await EventuallyAsync(async () =>
        {
            var sync = await bob.GetJsonAsync($"/_matrix/client/v3/sync?since={Uri.EscapeDataString(since)}&timeout=5000");
            return FloorEphemeral(sync, room.Id) ?? [];
        }, f => f.Count > 0, TimeSpan.FromSeconds(10), "floor ephemeral in /sync");
        Assert.Equal((await room.FloorAsync(bob)).ToJsonString(), taken.ToJsonString());
        Assert.Equal("taken", State(taken));

        await (await room.ReleaseAsync(alice, epoch)).EnsureMatrixSuccess();
        var full = await bob.GetJsonAsync("/_matrix/client/v3/sync");
        Assert.Equal($$"""{"state":"idle","epoch":{{epoch}},"queue":[]}""", FloorEphemeral(full, room.Id)!.ToJsonString());
    }
}
