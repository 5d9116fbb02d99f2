using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Rooms;

/// <summary>make_join / send_join v2 between two real servers, started from the client join endpoint.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_a_user_joins_a_room_of_another_server(IntegrationFixture fixture)
{
    [Fact]
    public async Task by_room_id_both_servers_hold_the_same_state_and_both_memberships()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2, "bob");
        var room = await alice.CreatePublicRoomAsync();

        var joined = await bob.JoinViaAsync(room, FederatedRoomSteps.Hs1);

        Assert.Equal(room, joined["room_id"]!.GetValue<string>());
        Assert.Contains(room, (await bob.GetJsonAsync("/_matrix/client/v3/joined_rooms"))["joined_rooms"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal([alice.UserId, bob.UserId], (await bob.JoinedMembersAsync(room)).Order());
        Assert.Equal([alice.UserId, bob.UserId], (await alice.JoinedMembersAsync(room)).Order());
        Assert.Equal(await alice.StateIdsAsync(room), await bob.StateIdsAsync(room));
        var timeline = await bob.SyncUntilAsync(room, t => t.Any(e => e["type"]?.GetValue<string>() == "m.room.member"
            && e["state_key"]?.GetValue<string>() == bob.UserId));
        Assert.Contains(timeline, e => e["type"]?.GetValue<string>() == "m.room.create");
    }

    [Fact]
    public async Task by_an_alias_of_the_other_server()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var carol = await MatrixTestClient.RegisterAsync(pair.Hs2, "carol");
        var room = await alice.CreatePublicRoomAsync("lobby");

        var joined = await carol.PostJsonAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString("#lobby:" + FederationPair.Hs1Name)}", new { });

        Assert.Equal(room, joined["room_id"]!.GetValue<string>());
        Assert.Contains(carol.UserId, await alice.JoinedMembersAsync(room));
        await (await carol.Http.PostAsJsonAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString("#nowhere:" + FederationPair.Hs1Name)}", new { }))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task an_invite_only_room_refuses_the_join_on_both_sides()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2, "bob");
        var room = await alice.CreateRoomAsync(new { preset = "private_chat" });

        await (await bob.Http.PostAsJsonAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(room)}?server_name={FederationPair.Hs1Name}", new { }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        Assert.DoesNotContain(bob.UserId, await alice.JoinedMembersAsync(room));
    }

    [Fact]
    public async Task a_server_that_does_not_support_the_rooms_version_is_told_which_version_it_is()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var room = await alice.CreatePublicRoomAsync();
        var version = (await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.create"))["room_version"]!.GetValue<string>();
        var bob = Uri.EscapeDataString($"@bob:{FederationPair.Hs2Name}");

        // Without `ver`, the joining server supports only room version 1 (spec: make_join).
        using var refused = await SignedRequest.SendAsync(pair.Hs2, pair.Hs1, HttpMethod.Get,
            $"/_matrix/federation/v1/make_join/{Uri.EscapeDataString(room)}/{bob}?ver=1");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("M_INCOMPATIBLE_ROOM_VERSION", error["errcode"]!.GetValue<string>());
        Assert.Equal(version, error["room_version"]!.GetValue<string>());

        using var offered = await SignedRequest.SendAsync(pair.Hs2, pair.Hs1, HttpMethod.Get,
            $"/_matrix/federation/v1/make_join/{Uri.EscapeDataString(room)}/{bob}?ver=1&ver={version}");
        Assert.Equal(HttpStatusCode.OK, offered.StatusCode);
        Assert.Equal(version, JsonNode.Parse(await offered.Content.ReadAsStringAsync())!["room_version"]!.GetValue<string>());
    }
}
