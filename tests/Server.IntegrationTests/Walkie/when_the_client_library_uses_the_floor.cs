using WalkieTalkie.Protocol;
using WalkieTalkie.Client.Matrix;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

/// <summary>The project's own client library (written against PROTOCOL.md) and this server agree on every floor and consent shape.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_the_client_library_uses_the_floor(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    WalkieApi Api(MatrixTestClient client) => new(new MatrixSession(_host.BaseAddress, client.AccessToken));

    [Fact]
    public async Task consent_request_taken_status_and_release_parse_as_typed_results()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, queue = false }, [bob]);
        var (aliceApi, bobApi) = (Api(alice), Api(bob));

        Assert.Equal(new ConsentGrant(alice.DeviceId, null), await aliceApi.GiveConsentAsync(room.Id));
        var timed = await bobApi.GiveConsentAsync(room.Id, TimeSpan.FromHours(1));
        Assert.Equal(bob.DeviceId, timed.DeviceId);
        Assert.NotNull(timed.ExpiresTs);

        Assert.Equal(FloorState.Idle, (await aliceApi.GetFloorAsync(room.Id)).State);
        var granted = Assert.IsType<FloorRequestResult.Granted>(await aliceApi.RequestFloorAsync(room.Id));
        var taken = Assert.IsType<FloorRequestResult.Taken>(await bobApi.RequestFloorAsync(room.Id, FloorPriority.Preempt));
        Assert.Equal(new DeviceRef(alice.UserId, alice.DeviceId), taken.Holder);

        var status = await bobApi.GetFloorAsync(room.Id);
        Assert.Equal((FloorState.Taken, granted.Epoch, (long?)granted.ExpiresTs), (status.State, status.Epoch, status.ExpiresTs));
        Assert.Equal(new DeviceRef(alice.UserId, alice.DeviceId), status.Holder);

        await aliceApi.ReleaseFloorAsync(room.Id, granted.Epoch);
        await aliceApi.ReleaseFloorAsync(room.Id, granted.Epoch); // stale now: still fine
        var idle = await bobApi.GetFloorAsync(room.Id);
        Assert.Equal((FloorState.Idle, granted.Epoch, (DeviceRef?)null), (idle.State, idle.Epoch, idle.Holder));
        await bobApi.WithdrawConsentAsync(room.Id);
    }
}
