using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Rooms;

/// <summary>PUT /v2/invite: the invitee's server countersigns, its user sees the invite in /sync and joins the private room.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_a_user_is_invited_from_another_server(IntegrationFixture fixture)
{
    [Fact]
    public async Task the_invite_shows_in_sync_and_lets_the_user_join_the_private_room()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1, "alice");
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2, "bob");
        var room = await alice.CreateRoomAsync(new { preset = "private_chat", name = "Ops" });

        await alice.InviteAsync(room, bob.UserId);

        var invite = (await bob.SyncAsync())["rooms"]!["invite"]![room]!["invite_state"]!["events"]!.AsArray();
        Assert.Contains(invite, e => e!["type"]!.GetValue<string>() == "m.room.name" && e["content"]!["name"]!.GetValue<string>() == "Ops");
        Assert.Contains(invite, e => e!["type"]!.GetValue<string>() == "m.room.member" && e["state_key"]!.GetValue<string>() == bob.UserId
            && e["content"]!["membership"]!.GetValue<string>() == "invite");
        var members = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/members?membership=invite");
        Assert.Contains(members["chunk"]!.AsArray(), e => e!["state_key"]!.GetValue<string>() == bob.UserId);

        await bob.JoinAsync(room);
        Assert.Contains(bob.UserId, await alice.JoinedMembersAsync(room));
        Assert.Equal(await alice.StateIdsAsync(room), await bob.StateIdsAsync(room));

        await (await alice.Http.PostAsJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/invite", new { user_id = "@nobody:" + FederationPair.Hs2Name }))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }
}
