using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_requesting_and_releasing_the_floor(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    async Task<(WalkieRoom Room, MatrixTestClient Alice, MatrixTestClient Bob, MatrixTestClient Carol)> RoomAsync(bool queue = true)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var carol = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, queue }, [bob, carol]);
        foreach (var c in new[] { alice, bob, carol }) await room.ConsentAsync(c);
        return (room, alice, bob, carol);
    }

    [Fact]
    public async Task a_device_without_consent_gets_403_NO_CONSENT()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true });
        await (await room.RequestAsync(alice)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NO_CONSENT");

        await room.ConsentAsync(alice);
        await (await room.DeleteConsentAsync(alice)).EnsureMatrixSuccess();
        await (await room.RequestAsync(alice)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NO_CONSENT");
        Assert.Equal("idle", State(await room.FloorAsync(alice)));
    }

    [Fact]
    public async Task an_idle_floor_is_granted_with_epoch_and_max_talk_deadline_and_GET_shows_it()
    {
        var (room, alice, bob, _) = await RoomAsync();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var granted = await room.RequestOkAsync(alice);
        Assert.Equal("granted", granted["result"]!.GetValue<string>());
        Assert.Equal(1, granted["epoch"]!.GetValue<long>());
        var expires = granted["expires_ts"]!.GetValue<long>();
        Assert.InRange(expires, before + 30_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 30_000);

        var floor = await room.FloorAsync(bob);
        Assert.Equal("taken", State(floor));
        Assert.Equal(alice.UserId, floor["holder"]!["user_id"]!.GetValue<string>());
        Assert.Equal(alice.DeviceId, Holder(floor));
        Assert.Equal(1, Epoch(floor));
        Assert.Equal(expires, floor["expires_ts"]!.GetValue<long>());
        Assert.Equal(expires - 30_000, floor["granted_ts"]!.GetValue<long>());
        Assert.Empty(floor["queue"]!.AsArray());
    }

    [Fact]
    public async Task the_holder_asking_again_gets_the_same_grant()
    {
        var (room, alice, _, _) = await RoomAsync();
        var first = await room.RequestOkAsync(alice);
        var again = await room.RequestOkAsync(alice, "preempt");
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
    }

    [Fact]
    public async Task a_taken_floor_queues_in_order_and_a_queued_device_asking_again_keeps_its_place()
    {
        var (room, alice, bob, carol) = await RoomAsync();
        await room.RequestOkAsync(alice);
        var bobQueued = await room.RequestOkAsync(bob);
        Assert.Equal("queued", bobQueued["result"]!.GetValue<string>());
        Assert.Equal(1, bobQueued["position"]!.GetValue<int>());
        Assert.Equal(2, (await room.RequestOkAsync(carol))["position"]!.GetValue<int>());
        Assert.Equal(1, (await room.RequestOkAsync(bob))["position"]!.GetValue<int>());

        var queue = (await room.FloorAsync(alice))["queue"]!.AsArray();
        Assert.Equal([bob.DeviceId, carol.DeviceId], queue.Select(d => d!["device_id"]!.GetValue<string>()));
        Assert.Equal(bob.UserId, queue[0]!["user_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task without_a_queue_a_taken_floor_answers_409_FLOOR_TAKEN_with_the_holder()
    {
        var (room, alice, bob, _) = await RoomAsync(queue: false);
        await room.RequestOkAsync(alice);
        var taken = await (await room.RequestAsync(bob)).ShouldBeMatrixError(HttpStatusCode.Conflict, "ORG.MATRIX.MSC4002_FLOOR_TAKEN");
        Assert.Equal(alice.UserId, taken["holder"]!["user_id"]!.GetValue<string>());
        Assert.Equal(alice.DeviceId, taken["holder"]!["device_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task releasing_hands_the_floor_to_the_head_of_the_queue_with_the_next_epoch()
    {
        var (room, alice, bob, carol) = await RoomAsync();
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(bob);
        await room.RequestOkAsync(carol);

        Assert.Equal("{}", (await (await room.ReleaseAsync(alice, epoch)).EnsureMatrixSuccess()).ToJsonString());
        var floor = await room.FloorAsync(alice);
        Assert.Equal(bob.DeviceId, Holder(floor));
        Assert.Equal(epoch + 1, Epoch(floor));
        Assert.Equal([carol.DeviceId], floor["queue"]!.AsArray().Select(d => d!["device_id"]!.GetValue<string>()));
        // Bob asking now is answered with the grant he was handed.
        Assert.Equal(epoch + 1, (await room.RequestOkAsync(bob))["epoch"]!.GetValue<long>());
    }

    [Fact]
    public async Task a_stale_or_foreign_release_is_200_and_changes_nothing()
    {
        var (room, alice, bob, carol) = await RoomAsync();
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(bob);
        var before = await room.FloorAsync(alice);

        Assert.Equal("{}", (await (await room.ReleaseAsync(alice, epoch - 1)).EnsureMatrixSuccess()).ToJsonString());
        Assert.Equal("{}", (await (await room.ReleaseAsync(carol, epoch)).EnsureMatrixSuccess()).ToJsonString());
        Assert.Equal(before.ToJsonString(), (await room.FloorAsync(alice)).ToJsonString());
    }

    [Fact]
    public async Task a_queued_device_that_releases_leaves_the_queue()
    {
        var (room, alice, bob, carol) = await RoomAsync();
        await room.RequestOkAsync(alice);
        await room.RequestOkAsync(bob);
        await room.RequestOkAsync(carol);
        await (await room.ReleaseAsync(bob, 12345)).EnsureMatrixSuccess();
        var floor = await room.FloorAsync(alice);
        Assert.Equal(alice.DeviceId, Holder(floor));
        Assert.Equal([carol.DeviceId], floor["queue"]!.AsArray().Select(d => d!["device_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task the_last_release_leaves_an_idle_floor_that_keeps_its_epoch()
    {
        var (room, alice, _, _) = await RoomAsync();
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        await (await room.ReleaseAsync(alice, epoch)).EnsureMatrixSuccess();
        Assert.Equal($$"""{"state":"idle","epoch":{{epoch}},"queue":[]}""", (await room.FloorAsync(alice)).ToJsonString());
        Assert.Equal(epoch + 1, (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>());
    }

    [Fact]
    public async Task bad_bodies_are_matrix_errors()
    {
        var (room, alice, _, _) = await RoomAsync();
        await (await room.RequestAsync(alice, "loud")).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.Http.PostAsJsonAsync($"{P}/rooms/{room.Id}/floor/release", new { epoch = "one" }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await alice.Http.PostAsJsonAsync($"{P}/rooms/{room.Id}/floor/release", new { }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }
}
