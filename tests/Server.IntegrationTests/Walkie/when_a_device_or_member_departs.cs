using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_device_or_member_departs(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task a_holder_leaving_the_room_loses_the_floor_and_its_consent()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);
        var epoch = (await room.RequestOkAsync(bob))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(alice);

        await bob.PostJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/leave", new { });
        var (floor, _) = await EventuallyAsync(() => room.FloorAsync(alice), f => Holder(f) == alice.DeviceId, TimeSpan.FromSeconds(10),
            "alice handed the floor after bob left");
        Assert.Equal(epoch + 1, Epoch(floor));

        // Consent went with the membership: back in the room, bob must consent again.
        await room.JoinAsync(bob);
        await (await room.RequestAsync(bob)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NO_CONSENT");
        // The member state the server could not clear while bob was away is cleared on his return.
        await EventuallyAsync(() => room.MemberStateAsync(alice, bob), s => s.Count == 0, TimeSpan.FromSeconds(10),
            "bob's stale member state cleared after rejoin");
    }

    [Fact]
    public async Task a_kicked_queued_member_leaves_the_queue()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var carol = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob, carol]);
        foreach (var c in new[] { alice, bob, carol }) await room.ConsentAsync(c);
        await room.RequestOkAsync(alice);
        await room.RequestOkAsync(bob);
        await room.RequestOkAsync(carol);

        await alice.PostJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/kick", new { user_id = bob.UserId });
        await EventuallyAsync(() => room.FloorAsync(alice),
            f => f["queue"]!.AsArray().Select(d => d!["device_id"]!.GetValue<string>()).SequenceEqual([carol.DeviceId]),
            TimeSpan.FromSeconds(10), "bob out of the queue");
    }

    [Fact]
    public async Task logging_out_the_holding_device_revokes_the_floor_and_empties_its_member_state()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(bob);
        var epoch = (await room.RequestOkAsync(bob))["epoch"]!.GetValue<long>();

        await bob.PostJsonAsync("/_matrix/client/v3/logout", new { });
        var (floor, _) = await EventuallyAsync(() => room.FloorAsync(alice), f => State(f) == "idle", TimeSpan.FromSeconds(10),
            "floor idle after bob logged out");
        Assert.Equal(epoch, Epoch(floor));
        await EventuallyAsync(() => room.MemberStateAsync(alice, bob), s => s.Count == 0, TimeSpan.FromSeconds(10), "bob's member state emptied");
    }
}
