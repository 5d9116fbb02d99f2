using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

/// <summary>Pre-emption needs both: level ≥ preempt_power_level (50 here) and strictly above the holder's.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_preempting_the_floor(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    async Task<(WalkieRoom Room, MatrixTestClient Admin, MatrixTestClient Mod, MatrixTestClient Mod2, MatrixTestClient User)> RoomAsync()
    {
        var admin = await MatrixTestClient.RegisterAsync(_host);
        var mod = await MatrixTestClient.RegisterAsync(_host);
        var mod2 = await MatrixTestClient.RegisterAsync(_host);
        var user = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(admin, new { enabled = true, preempt_power_level = 50 }, [mod, mod2, user],
            new Dictionary<string, int> { [mod.UserId] = 50, [mod2.UserId] = 50 });
        foreach (var c in new[] { admin, mod, mod2, user }) await room.ConsentAsync(c);
        return (room, admin, mod, mod2, user);
    }

    [Fact]
    public async Task a_moderator_preempts_a_user_with_the_next_epoch_and_leaves_the_queue()
    {
        var (room, _, mod, mod2, user) = await RoomAsync();
        var epoch = (await room.RequestOkAsync(user))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(mod2);
        Assert.Equal("queued", (await room.RequestOkAsync(mod))["result"]!.GetValue<string>());

        var preempted = await room.RequestOkAsync(mod, "preempt");
        Assert.Equal("granted", preempted["result"]!.GetValue<string>());
        Assert.Equal(epoch + 1, preempted["epoch"]!.GetValue<long>());
        var floor = await room.FloorAsync(user);
        Assert.Equal(mod.DeviceId, Holder(floor));
        Assert.Equal([mod2.DeviceId], floor["queue"]!.AsArray().Select(d => d!["device_id"]!.GetValue<string>()));
        // The pre-empted holder's release is now stale.
        await (await room.ReleaseAsync(user, epoch)).EnsureMatrixSuccess();
        Assert.Equal(mod.DeviceId, Holder(await room.FloorAsync(user)));
    }

    [Fact]
    public async Task a_user_below_preempt_power_level_is_queued_instead()
    {
        var (room, _, mod, _, user) = await RoomAsync();
        await room.RequestOkAsync(mod);
        Assert.Equal("queued", (await room.RequestOkAsync(user, "preempt"))["result"]!.GetValue<string>());
        Assert.Equal(mod.DeviceId, Holder(await room.FloorAsync(user)));
    }

    [Fact]
    public async Task an_equal_or_higher_holder_is_not_preempted()
    {
        var (room, admin, mod, mod2, _) = await RoomAsync();
        await room.RequestOkAsync(mod);
        Assert.Equal("queued", (await room.RequestOkAsync(mod2, "preempt"))["result"]!.GetValue<string>());
        Assert.Equal(mod.DeviceId, Holder(await room.FloorAsync(mod)));

        var (room2, admin2, mod_, _, _) = await RoomAsync();
        await room2.RequestOkAsync(admin2);
        Assert.Equal("queued", (await room2.RequestOkAsync(mod_, "preempt"))["result"]!.GetValue<string>());
        Assert.Equal(admin2.DeviceId, Holder(await room2.FloorAsync(admin2)));
        _ = admin;
    }

    [Fact]
    public async Task preempt_on_an_idle_floor_is_an_ordinary_grant()
    {
        var (room, _, _, _, user) = await RoomAsync();
        var granted = await room.RequestOkAsync(user, "preempt");
        Assert.Equal("granted", granted["result"]!.GetValue<string>());
        Assert.Equal(1, granted["epoch"]!.GetValue<long>());
    }
}
