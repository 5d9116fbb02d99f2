namespace WalkieTalkie.Server.IntegrationTests.Rooms;

[Collection(IntegrationCollection.Name)]
public sealed class when_reading_markers_and_leaving(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task read_markers_set_the_fully_read_marker_as_room_account_data_and_a_public_receipt()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync();
        var eventId = await alice.SendTextAsync(room, "read up to here");
        var since = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();

        await alice.PostJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/read_markers",
            new Dictionary<string, string> { ["m.fully_read"] = eventId, ["m.read"] = eventId });

        var sync = await alice.SyncAsync(since, timeoutMs: 5_000);
        var joined = sync["rooms"]!["join"]![room]!;
        var marker = joined["account_data"]!["events"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "m.fully_read");
        Assert.Equal(eventId, marker!["content"]!["event_id"]!.GetValue<string>());
        var stored = await alice.GetJsonAsync($"/_matrix/client/v3/user/{Uri.EscapeDataString(alice.UserId)}/rooms/{RoomSteps.Path(room)}/account_data/m.fully_read");
        Assert.Equal(eventId, stored["event_id"]!.GetValue<string>());

        await (await alice.Http.PostAsJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/read_markers",
            new Dictionary<string, string> { ["m.fully_read"] = "$missing" })).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        await (await alice.Http.PostAsJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/receipt/m.bogus/{Uri.EscapeDataString(eventId)}", new { }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
    }

    [Fact]
    public async Task leaving_removes_the_room_from_joined_rooms_and_rejects_a_second_leave()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        Assert.Contains(room, (await bob.GetJsonAsync("/_matrix/client/v3/joined_rooms"))["joined_rooms"]!.AsArray().Select(r => r!.GetValue<string>()));

        await bob.PostJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/leave", new { reason = "bye" });
        Assert.DoesNotContain(room, (await bob.GetJsonAsync("/_matrix/client/v3/joined_rooms"))["joined_rooms"]!.AsArray().Select(r => r!.GetValue<string>()));
        await (await bob.Http.PostAsJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/leave", new { }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        var members = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/members?not_membership=join");
        Assert.Equal(bob.UserId, Assert.Single(members["chunk"]!.AsArray())!["state_key"]!.GetValue<string>());

        using var anonymous = _host.CreateClient();
        await (await anonymous.GetAsync("/_matrix/client/v3/joined_rooms")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        await (await anonymous.GetAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/members")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }
}
