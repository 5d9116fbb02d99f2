using System.Net;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.Walkie.Floor;
using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Floor;

/// <summary>hs1 created the room, so hs1 decides its floor; hs2 forwards its devices' commands and learns decisions by EDU.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_the_floor_is_decided_by_another_server(IntegrationFixture fixture)
{
    [Fact]
    public async Task a_remote_device_is_granted_by_the_host_and_everyone_sees_one_holder()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true, queue = false });
        var (alice, bob) = (ones[0], twos[0]);

        var granted = await room.RequestOkAsync(bob);
        Assert.Equal("granted", granted["result"]!.GetValue<string>());
        var epoch = granted["epoch"]!.GetValue<long>();

        using var taken = await room.RequestAsync(alice);
        var refusal = await taken.ShouldBeMatrixError(HttpStatusCode.Conflict, "ORG.MATRIX.MSC4002_FLOOR_TAKEN");
        Assert.Equal(bob.DeviceId, refusal["holder"]!["device_id"]!.GetValue<string>());

        var onHs1 = await room.FloorAsync(alice);
        Assert.Equal((bob.DeviceId, epoch), (Holder(onHs1), Epoch(onHs1)));
        var onHs2 = await room.FloorUntilAsync(bob, f => Holder(f) == bob.DeviceId);
        Assert.Equal((epoch, "hs1.test"), (Epoch(onHs2), onHs2["floor_host"]!.GetValue<string>()));

        await (await room.ReleaseAsync(bob, epoch)).EnsureMatrixSuccess();
        Assert.Equal("idle", State(await room.FloorAsync(alice)));
        await room.FloorUntilAsync(bob, f => State(f) == "idle" && Epoch(f) == epoch);

        // The host's stream is the history; hs2's is its copy of the same decisions.
        var hostEvents = await FloorEventsAsync(pair.Hs1, room.Id);
        Assert.Equal(hostEvents, await FloorEventsAsync(pair.Hs2, room.Id));
        Assert.Contains(nameof(FloorGranted), hostEvents);
    }

    [Fact]
    public async Task the_host_checks_the_remote_devices_consent_from_its_room_state()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true });
        var (alice, bob) = (ones[0], twos[0]);

        await (await room.DeleteConsentAsync(bob)).EnsureMatrixSuccess();
        await Eventually.GetAsync(() => room.MemberStateAsync(alice, bob), s => s.Count == 0);

        using var refused = await room.RequestAsync(bob);
        await refused.ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NO_CONSENT");
        Assert.Equal("idle", State(await room.FloorAsync(alice)));
    }

    [Fact]
    public async Task with_the_host_down_mid_burst_nobody_is_granted_and_after_it_is_back_epochs_continue()
    {
        await using var pair = await FederationPair.StartAsync(fixture, new Dictionary<string, string?> { ["Walkie:Floor:ForwardTimeout"] = "00:00:05" });
        var (room, _, twos) = await pair.WalkieRoomAsync(new { enabled = true, queue = false, end_of_media_ms = 1000 }, hs2Users: 2);
        var (bob, carol) = (twos[0], twos[1]);
        var first = (await room.RequestOkAsync(bob))["epoch"]!.GetValue<long>();

        await pair.StopAsync(FederationPair.Hs1Name);
        using var refused = await room.RequestAsync(carol);
        await refused.ShouldBeMatrixError(HttpStatusCode.ServiceUnavailable, "ORG.MATRIX.MSC4002_FLOOR_HOST_UNREACHABLE");
        using var release = await room.ReleaseAsync(bob, first);
        await release.ShouldBeMatrixError(HttpStatusCode.ServiceUnavailable, "ORG.MATRIX.MSC4002_FLOOR_HOST_UNREACHABLE");
        var floor = await room.FloorAsync(carol);
        Assert.Equal((false, "hs1.test"), (floor["floor_host_reachable"]?.GetValue<bool>(), floor["floor_host"]?.GetValue<string>()));

        // Back: bob's silent grant ends by end of media on the host, then carol is granted above it.
        await pair.StartAsync(FederationPair.Hs1Name);
        var again = await Eventually.GetAsync(async () =>
        {
            using var response = await room.RequestAsync(carol);
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["epoch"]!.GetValue<long>() : 0;
        }, epoch => epoch > 0);
        Assert.True(again > first, $"epoch {again} after {first}");
        Assert.Null((await room.FloorAsync(carol))["floor_host_reachable"]);
    }

    [Fact]
    public async Task a_new_floor_host_decides_from_above_the_last_epoch_it_knew()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true, queue = false });
        var (alice, bob) = (ones[0], twos[0]);
        var before = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        await room.FloorUntilAsync(bob, f => Epoch(f) == before);

        using var stranger = await alice.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/state/{ConfigType}",
            new { enabled = true, queue = false, floor_host = "hs3.test" });
        await stranger.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/state/{ConfigType}", new { enabled = true, queue = false, floor_host = "hs2.test" });
        await Eventually.GetAsync(async () => (await bob.GetJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/state/{ConfigType}"))["floor_host"]?.GetValue<string>(),
            h => h == "hs2.test");

        // hs2 decides now: alice's grant of hs1's time ends (host_changed), bob's grant is above it.
        var granted = (await room.RequestOkAsync(bob))["epoch"]!.GetValue<long>();
        Assert.Equal(before + 1, granted);
        using var taken = await room.RequestAsync(alice);
        await taken.ShouldBeMatrixError(HttpStatusCode.Conflict, "ORG.MATRIX.MSC4002_FLOOR_TAKEN");
        var onHs1 = await room.FloorUntilAsync(alice, f => Holder(f) == bob.DeviceId);
        Assert.Equal((granted, "hs2.test"), (Epoch(onHs1), onHs1["floor_host"]!.GetValue<string>()));
    }

    static async Task<List<string>> FloorEventsAsync(WalkieHost host, string roomId)
    {
        await using var session = host.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync(FloorStream.Id(roomId));
        return events.Select(e => e.EventType.Name).ToList();
    }
}
