using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_handing_over_the_floor(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task a_queued_device_whose_consent_lapsed_is_skipped()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var carol = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob, carol]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob, 1_000);
        await room.ConsentAsync(carol);
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        Assert.Equal(1, (await room.RequestOkAsync(bob))["position"]!.GetValue<int>());
        Assert.Equal(2, (await room.RequestOkAsync(carol))["position"]!.GetValue<int>());

        await EventuallyAsync(() => room.MemberStateAsync(alice, bob), s => s.Count == 0, TimeSpan.FromSeconds(10), "bob's consent lapsed");
        await (await room.ReleaseAsync(alice, epoch)).EnsureMatrixSuccess();
        var floor = await room.FloorAsync(alice);
        Assert.Equal(carol.DeviceId, Holder(floor));
        Assert.Equal(epoch + 1, Epoch(floor));
        Assert.Empty(floor["queue"]!.AsArray());
    }

    [Fact]
    public async Task a_queued_device_that_withdraws_consent_leaves_the_queue()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(bob);
        await (await room.DeleteConsentAsync(bob)).EnsureMatrixSuccess();

        await EventuallyAsync(() => room.FloorAsync(alice), f => f["queue"]!.AsArray().Count == 0, TimeSpan.FromSeconds(10), "bob dequeued");
        await (await room.ReleaseAsync(alice, epoch)).EnsureMatrixSuccess();
        Assert.Equal("idle", State(await room.FloorAsync(alice)));
    }

    [Fact]
    public async Task a_holder_that_withdraws_consent_loses_the_floor()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(bob);
        await (await room.DeleteConsentAsync(alice)).EnsureMatrixSuccess();

        var (floor, _) = await EventuallyAsync(() => room.FloorAsync(bob), f => Holder(f) == bob.DeviceId, TimeSpan.FromSeconds(10),
            "bob handed the floor");
        Assert.Equal(epoch + 1, Epoch(floor));
    }
}
