namespace WalkieTalkie.Server.IntegrationTests.Rooms;

[Collection(IntegrationCollection.Name)]
public sealed class when_users_share_a_room(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task create_invite_join_send_and_both_see_it_in_sync()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new { name = "Walkie", invite = new[] { bob.UserId } });

        var bobSync = await bob.SyncAsync();
        var invite = bobSync["rooms"]!["invite"]![room]!["invite_state"]!["events"]!.AsArray();
        Assert.Contains(invite, e => e!["type"]!.GetValue<string>() == "m.room.name");

        await bob.JoinAsync(room);
        var eventId = await alice.SendTextAsync(room, "hello bob");

        var next = await bob.SyncAsync(bobSync["next_batch"]!.GetValue<string>());
        var timeline = next.TimelineOf(room).ToList();
        Assert.Contains(timeline, e => e["event_id"]!.GetValue<string>() == eventId && e["content"]!["body"]!.GetValue<string>() == "hello bob");
        Assert.Contains(timeline, e => e["type"]!.GetValue<string>() == "m.room.member" && e["state_key"]!.GetValue<string>() == bob.UserId);

        var joined = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/joined_members");
        Assert.Equal(2, joined["joined"]!.AsObject().Count);
        var rooms = await bob.GetJsonAsync("/_matrix/client/v3/joined_rooms");
        Assert.Contains(room, rooms["joined_rooms"]!.AsArray().Select(r => r!.GetValue<string>()));
    }

    [Fact]
    public async Task initial_sync_has_the_creation_state_and_the_senders_transaction_id()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new { preset = "public_chat", topic = "radio" });
        var txn = Guid.NewGuid().ToString("N");
        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/send/m.room.message/{txn}", new { msgtype = "m.text", body = "x" });

        var sync = await alice.SyncAsync();
        var joined = sync["rooms"]!["join"]![room]!.AsObject();
        var everything = joined["state"]!["events"]!.AsArray().Concat(joined["timeline"]!["events"]!.AsArray()).Select(e => e!["type"]!.GetValue<string>()).ToList();
        foreach (var type in new[] { "m.room.create", "m.room.member", "m.room.power_levels", "m.room.join_rules", "m.room.history_visibility", "m.room.topic" })
            Assert.Contains(type, everything);
        var mine = sync.TimelineOf(room).Single(e => e["type"]!.GetValue<string>() == "m.room.message");
        Assert.Equal(txn, mine["unsigned"]!["transaction_id"]!.GetValue<string>());
        Assert.StartsWith("s", sync["next_batch"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_repeated_transaction_id_gives_the_same_event()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync();
        var path = $"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/send/m.room.message/same-txn";
        var first = await alice.PutJsonAsync(path, new { msgtype = "m.text", body = "once" });
        var second = await alice.PutJsonAsync(path, new { msgtype = "m.text", body = "once" });
        Assert.Equal(first["event_id"]!.GetValue<string>(), second["event_id"]!.GetValue<string>());
        var messages = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/messages?dir=b&limit=50");
        Assert.Single(messages["chunk"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "m.room.message");
    }

    [Fact]
    public async Task outsiders_cannot_read_or_write_and_need_an_invite_to_join_a_private_room()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var eve = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync();
        var p = RoomSteps.Path(room);

        await (await eve.Http.PostAsJsonAsync($"/_matrix/client/v3/join/{p}", new { })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await eve.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/send/m.room.message/t1", new { body = "x" })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await eve.Http.GetAsync($"/_matrix/client/v3/rooms/{p}/messages")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await eve.Http.GetAsync($"/_matrix/client/v3/rooms/{p}/state")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await eve.Http.PostAsJsonAsync("/_matrix/client/v3/join/!nope:localhost", new { })).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        using var anonymous = _host.CreateClient();
        await (await anonymous.PostAsJsonAsync("/_matrix/client/v3/createRoom", new { })).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    [Fact]
    public async Task power_levels_guard_state_kicks_and_bans()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var carol = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new
        {
            preset = "public_chat",
            power_level_content_override = new { events = new Dictionary<string, int> { ["custom.state"] = 0, ["m.room.power_levels"] = 100 } },
        });
        var p = RoomSteps.Path(room);
        await bob.JoinAsync(room);
        await carol.JoinAsync(room);

        await (await bob.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/state/m.room.topic", new { topic = "mine" })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PostAsJsonAsync($"/_matrix/client/v3/rooms/{p}/kick", new { user_id = carol.UserId })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/state/custom.state/{Uri.EscapeDataString(carol.UserId)}", new { x = 1 })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        // Every user owns state keyed by their own id; room v10 rejects `@user_suffix` keys, this server owns `_@user_suffix` ones to their user.
        await bob.PutJsonAsync($"/_matrix/client/v3/rooms/{p}/state/custom.state/{Uri.EscapeDataString(bob.UserId)}", new { x = 1 });
        await bob.PutJsonAsync($"/_matrix/client/v3/rooms/{p}/state/custom.state/{Uri.EscapeDataString("_" + bob.UserId + "_PHONE")}", new { x = 1 });
        await (await bob.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/state/custom.state/{Uri.EscapeDataString(bob.UserId + "_PHONE")}", new { x = 1 })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/state/custom.state/{Uri.EscapeDataString("_" + carol.UserId + "_PHONE")}", new { x = 1 })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");

        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{p}/state/m.room.topic", new { topic = "official" });
        var topic = await bob.GetJsonAsync($"/_matrix/client/v3/rooms/{p}/state/m.room.topic/");
        Assert.Equal("official", topic["topic"]!.GetValue<string>());

        await alice.PostJsonAsync($"/_matrix/client/v3/rooms/{p}/kick", new { user_id = carol.UserId, reason = "bye" });
        await alice.PostJsonAsync($"/_matrix/client/v3/rooms/{p}/ban", new { user_id = bob.UserId });
        await (await bob.Http.PostAsJsonAsync($"/_matrix/client/v3/join/{p}", new { })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await carol.JoinAsync(room);
        var members = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{p}/members?membership=ban");
        Assert.Equal(bob.UserId, Assert.Single(members["chunk"]!.AsArray())!["state_key"]!.GetValue<string>());

        // A moderator cannot raise someone above themselves.
        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{p}/state/m.room.power_levels", new
        {
            users = new Dictionary<string, int> { [alice.UserId] = 100, [carol.UserId] = 50 },
        });
        await (await carol.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/state/m.room.power_levels", new
        {
            users = new Dictionary<string, int> { [alice.UserId] = 100, [carol.UserId] = 100 },
        })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
    }

    [Fact]
    public async Task messages_paginate_backwards_and_forwards_with_tokens()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync();
        var p = RoomSteps.Path(room);
        var sent = new List<string>();
        for (var i = 0; i < 7; i++) sent.Add(await alice.SendTextAsync(room, $"m{i}"));

        var filter = Uri.EscapeDataString("""{"types":["m.room.message"]}""");
        var page1 = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{p}/messages?dir=b&limit=3&filter={filter}");
        Assert.Equal(sent[6..].Concat(sent[4..6]).Take(3).Reverse().Reverse().ToList().Count, page1["chunk"]!.AsArray().Count);
        Assert.Equal([sent[6], sent[5], sent[4]], page1["chunk"]!.AsArray().Select(e => e!["event_id"]!.GetValue<string>()));
        var page2 = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{p}/messages?dir=b&limit=3&filter={filter}&from={page1["end"]}");
        Assert.Equal([sent[3], sent[2], sent[1]], page2["chunk"]!.AsArray().Select(e => e!["event_id"]!.GetValue<string>()));

        var forwards = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{p}/messages?dir=f&limit=2&from={page2["end"]}&filter={filter}");
        Assert.Contains(sent[1], forwards["chunk"]!.AsArray().Select(e => e!["event_id"]!.GetValue<string>()));
        await (await alice.Http.GetAsync($"/_matrix/client/v3/rooms/{p}/messages?dir=x")).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
    }

    [Fact]
    public async Task redaction_strips_content_and_only_the_sender_or_a_moderator_may_redact()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        var p = RoomSteps.Path(room);
        await bob.JoinAsync(room);
        var aliceMessage = await alice.SendTextAsync(room, "secret");

        await (await bob.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/redact/{Uri.EscapeDataString(aliceMessage)}/r1", new { }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{p}/redact/{Uri.EscapeDataString(aliceMessage)}/r2", new { reason = "oops" });

        var e = await bob.GetJsonAsync($"/_matrix/client/v3/rooms/{p}/event/{Uri.EscapeDataString(aliceMessage)}");
        Assert.Empty(e["content"]!.AsObject());
        Assert.Equal("oops", e["unsigned"]!["redacted_because"]!["content"]!["reason"]!.GetValue<string>());
        await (await bob.Http.GetAsync($"/_matrix/client/v3/rooms/{p}/event/$nope")).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task encrypted_and_unknown_events_pass_through_untouched()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new
        {
            initial_state = new[] { new { type = "m.room.encryption", state_key = "", content = (object)new { algorithm = "m.megolm.v1.aes-sha2" } } },
        });
        var p = RoomSteps.Path(room);
        var raw = """{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgAEnAC+/=","device_id":"DEV","sender_key":"k","session_id":"s","nested":{"n":[1,-25,"x"]}}""";
        var response = await alice.Http.PutAsync($"/_matrix/client/v3/rooms/{p}/send/m.room.encrypted/e1",
            new StringContent(raw, System.Text.Encoding.UTF8, "application/json"));
        var eventId = (await response.EnsureMatrixSuccess())["event_id"]!.GetValue<string>();
        var e = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{p}/event/{Uri.EscapeDataString(eventId)}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(raw), e["content"]));
        Assert.Equal("m.room.encrypted", e["type"]!.GetValue<string>());
        // Canonical JSON (what event hashes and signatures cover) has no floats: such content is refused, not altered.
        await (await alice.Http.PutAsync($"/_matrix/client/v3/rooms/{p}/send/m.room.encrypted/e2",
            new StringContent(raw.Replace("-25", "2.5"), System.Text.Encoding.UTF8, "application/json"))).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }

    [Fact]
    public async Task bad_bodies_are_matrix_errors()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync();
        var p = RoomSteps.Path(room);
        var notJson = await alice.Http.PutAsync($"/_matrix/client/v3/rooms/{p}/send/m.room.message/b1", new StringContent("{oops", System.Text.Encoding.UTF8, "application/json"));
        await notJson.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_NOT_JSON");
        var array = await alice.Http.PutAsync($"/_matrix/client/v3/rooms/{p}/send/m.room.message/b2", new StringContent("[1]", System.Text.Encoding.UTF8, "application/json"));
        await array.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        var huge = await alice.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{p}/send/m.room.message/b3", new { body = new string('x', 70_000) });
        await huge.ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");
        await (await alice.Http.PostAsJsonAsync($"/_matrix/client/v3/rooms/{p}/invite", new { user_id = "not-a-user" })).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }

    [Fact]
    public async Task aliases_resolve_and_join_by_alias_works()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var name = "walkie" + Guid.NewGuid().ToString("N")[..8];
        var room = await alice.CreateRoomAsync(new { preset = "public_chat", room_alias_name = name });
        var alias = Uri.EscapeDataString($"#{name}:localhost");
        var resolved = await bob.GetJsonAsync($"/_matrix/client/v3/directory/room/{alias}");
        Assert.Equal(room, resolved["room_id"]!.GetValue<string>());
        Assert.Equal(room, (await bob.JoinAsync($"#{name}:localhost"))["room_id"]!.GetValue<string>());
        await (await bob.Http.DeleteAsync($"/_matrix/client/v3/directory/room/{alias}")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await alice.Http.DeleteAsync($"/_matrix/client/v3/directory/room/{alias}");
        await (await bob.Http.GetAsync($"/_matrix/client/v3/directory/room/{alias}")).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }
}

[Collection(IntegrationCollection.Name)]
public sealed class when_a_member_changes_their_profile(IntegrationFixture fixture)
{
    [Fact]
    public async Task every_joined_room_gets_a_member_event_with_the_new_name()
    {
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        var rooms = new[] { await alice.CreateRoomAsync(), await alice.CreateRoomAsync() };
        await alice.PutJsonAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}/displayname", new { displayname = "Alice Radio" });

        foreach (var room in rooms)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            string? name = null;
            while (name != "Alice Radio" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
                var member = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/state/m.room.member/{Uri.EscapeDataString(alice.UserId)}");
                name = member["displayname"]?.GetValue<string>();
            }
            Assert.Equal("Alice Radio", name);
        }
    }
}
