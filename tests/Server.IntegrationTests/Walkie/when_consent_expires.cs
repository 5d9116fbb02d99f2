using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_consent_expires(IntegrationFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task the_member_state_is_rewritten_to_empty_without_any_client_call()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        var expires = (await room.ConsentAsync(bob, 1_500))["expires_ts"]!.GetValue<long>();
        Assert.Equal(expires, (await room.MemberStateAsync(alice, bob))["expires_ts"]!.GetValue<long>());

        var (_, _) = await EventuallyAsync(() => room.MemberStateAsync(alice, bob), s => s.Count == 0, TimeSpan.FromSeconds(10),
            "member state emptied after expiry");
        var late = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - expires;
        output.WriteLine($"member state emptied, observed {late} ms after expires_ts (polling every 50 ms)");
        Assert.True(late >= 0, $"emptied {-late} ms before the consent expired");
        Assert.True(late < 1_000, $"emptied {late} ms after expiry: the in-process timer should be precise");
        await (await room.RequestAsync(bob)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NO_CONSENT");
    }

    [Fact]
    public async Task a_holder_whose_consent_expires_loses_the_floor_to_the_queue()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(bob, 1_500);
        await room.ConsentAsync(alice);
        var epoch = (await room.RequestOkAsync(bob))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(alice);

        var (floor, _) = await EventuallyAsync(() => room.FloorAsync(alice), f => Holder(f) == alice.DeviceId, TimeSpan.FromSeconds(10),
            "alice handed the floor after bob's consent expired");
        Assert.Equal(epoch + 1, Epoch(floor));
    }

    [Fact]
    public async Task a_renewal_makes_the_old_expiry_do_nothing()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true });
        await room.ConsentAsync(alice, 1_000);
        var renewed = await room.ConsentAsync(alice, 60_000);
        await Task.Delay(2_500); // past the first expiry and its durable backstop (polled every second)
        Assert.Equal(renewed.ToJsonString(), (await room.MemberStateAsync(alice, alice)).ToJsonString());
        Assert.Equal("granted", (await room.RequestOkAsync(alice))["result"]!.GetValue<string>());
    }
}
