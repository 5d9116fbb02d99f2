using WalkieTalkie.Server.IntegrationTests.Walkie.Stream;
using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

/// <summary>
/// The dispatcher features over HTTP: the queue in priority order, emergency (emergency_power_level 50 here), a
/// moderator's revoke (kick level 50), the queue caps and the distinct no-consent error, also on the live stream.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_dispatching_the_floor(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    /// <summary>Admin 100, mod 50, two users at 0 and 10, everybody consenting.</summary>
    async Task<(WalkieRoom Room, MatrixTestClient Admin, MatrixTestClient Mod, MatrixTestClient User, MatrixTestClient User10)> RoomAsync(
        object? config = null)
    {
        var admin = await MatrixTestClient.RegisterAsync(_host);
        var mod = await MatrixTestClient.RegisterAsync(_host);
        var user = await MatrixTestClient.RegisterAsync(_host);
        var user10 = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(admin, config ?? new { enabled = true, emergency_power_level = 50 }, [mod, user, user10],
            new Dictionary<string, int> { [mod.UserId] = 50, [user10.UserId] = 10 });
        foreach (var c in new[] { admin, mod, user, user10 }) await room.ConsentAsync(c);
        return (room, admin, mod, user, user10);
    }

    static List<string> Queue(JsonObject floor) => floor["queue"]!.AsArray().Select(d => d!["device_id"]!.GetValue<string>()).ToList();

    static Task<HttpResponseMessage> RevokeAsync(WalkieRoom room, MatrixTestClient moderator, object body) =>
        moderator.Http.PostAsJsonAsync($"{P}/rooms/{room.Id}/floor/revoke", body);

    [Fact]
    public async Task the_queue_is_ordered_by_power_level_then_arrival()
    {
        var (room, admin, mod, user, user10) = await RoomAsync();
        await room.RequestOkAsync(admin);
        Assert.Equal(1, (await room.RequestOkAsync(user))["position"]!.GetValue<int>());
        Assert.Equal(1, (await room.RequestOkAsync(mod))["position"]!.GetValue<int>());
        Assert.Equal(2, (await room.RequestOkAsync(user10))["position"]!.GetValue<int>());
        Assert.Equal([mod.DeviceId, user10.DeviceId, user.DeviceId], Queue(await room.FloorAsync(user)));
    }

    [Fact]
    public async Task an_emergency_takes_the_floor_from_a_higher_holder_and_is_marked_in_the_floor()
    {
        var (room, admin, mod, user, _) = await RoomAsync();
        var epoch = (await room.RequestOkAsync(admin))["epoch"]!.GetValue<long>();

        var granted = await room.RequestOkAsync(mod, "emergency");
        Assert.Equal(("granted", epoch + 1, true),
            (granted["result"]!.GetValue<string>(), granted["epoch"]!.GetValue<long>(), granted["emergency"]!.GetValue<bool>()));
        var floor = await room.FloorAsync(user);
        Assert.Equal((mod.DeviceId, true), (Holder(floor), floor["emergency"]!.GetValue<bool>()));

        // Nobody pre-empts an emergency: the admin's preempt waits in the queue.
        Assert.Equal("queued", (await room.RequestOkAsync(admin, "preempt"))["result"]!.GetValue<string>());
        // A normal grant carries no emergency field at all.
        await (await room.ReleaseAsync(mod, epoch + 1)).EnsureMatrixSuccess();
        var after = await room.FloorAsync(user);
        Assert.Equal(admin.DeviceId, Holder(after));
        Assert.Null(after["emergency"]);
    }

    [Fact]
    public async Task an_emergency_below_the_emergency_power_level_is_403_M_FORBIDDEN_and_changes_nothing()
    {
        var (room, admin, _, user, _) = await RoomAsync();
        await room.RequestOkAsync(admin);
        var refused = await (await room.RequestAsync(user, "emergency")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        Assert.Contains("emergency_power_level", refused["error"]!.GetValue<string>());
        Assert.Empty(Queue(await room.FloorAsync(user)));
    }

    [Fact]
    public async Task a_moderator_revokes_the_holder_and_the_queue_hands_over()
    {
        var (room, admin, mod, user, user10) = await RoomAsync();
        var epoch = (await room.RequestOkAsync(user))["epoch"]!.GetValue<long>();
        await room.RequestOkAsync(user10);

        var answer = await (await RevokeAsync(room, mod, new { user_id = user.UserId })).EnsureMatrixSuccess();
        Assert.Equal(user.DeviceId, answer["revoked"]!["device_id"]!.GetValue<string>());
        Assert.Equal(user.UserId, answer["revoked"]!["user_id"]!.GetValue<string>());
        Assert.Empty(answer["dequeued"]!.AsArray());
        var floor = await room.FloorAsync(admin);
        Assert.Equal((user10.DeviceId, epoch + 1), (Holder(floor), Epoch(floor)));
    }

    [Fact]
    public async Task a_moderator_removes_a_queued_device_and_the_holder_keeps_the_floor()
    {
        var (room, admin, mod, user, user10) = await RoomAsync();
        await room.RequestOkAsync(user10);
        await room.RequestOkAsync(user);

        var answer = await (await RevokeAsync(room, mod, new { user_id = user.UserId, device_id = user.DeviceId })).EnsureMatrixSuccess();
        Assert.Null(answer["revoked"]);
        Assert.Equal([user.DeviceId], answer["dequeued"]!.AsArray().Select(d => d!["device_id"]!.GetValue<string>()));
        var floor = await room.FloorAsync(admin);
        Assert.Equal((user10.DeviceId, 0), (Holder(floor), Queue(floor).Count));

        // Nothing left to take: still 200, nothing listed.
        var again = await (await RevokeAsync(room, mod, new { user_id = user.UserId })).EnsureMatrixSuccess();
        Assert.Null(again["revoked"]);
        Assert.Empty(again["dequeued"]!.AsArray());
    }

    [Fact]
    public async Task revoking_needs_the_kick_level_and_a_level_above_the_target()
    {
        var (room, admin, mod, user, user10) = await RoomAsync();
        await room.RequestOkAsync(admin);
        await (await RevokeAsync(room, user10, new { user_id = admin.UserId })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await RevokeAsync(room, mod, new { user_id = admin.UserId })).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        Assert.Equal(admin.DeviceId, Holder(await room.FloorAsync(user)));
        await (await RevokeAsync(room, mod, new { })).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await RevokeAsync(room, mod, new { user_id = admin.UserId, device_id = 5 })).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }

    [Fact]
    public async Task past_the_queue_caps_a_request_is_403_QUEUE_FULL()
    {
        var (room, admin, mod, user, user10) = await RoomAsync(new { enabled = true, max_queue_per_user = 1, max_queue = 2 });
        var phone = await user.LoginAgainAsync(_host);
        await room.ConsentAsync(phone);
        await room.RequestOkAsync(admin);
        await room.RequestOkAsync(user);

        var perUser = await (await room.RequestAsync(phone)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_QUEUE_FULL");
        Assert.Contains("max_queue_per_user", perUser["error"]!.GetValue<string>());
        await room.RequestOkAsync(user10);
        var perRoom = await (await room.RequestAsync(mod)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_QUEUE_FULL");
        Assert.Contains("max_queue", perRoom["error"]!.GetValue<string>());
        Assert.Equal([user10.DeviceId, user.DeviceId], Queue(await room.FloorAsync(admin))); // 10 before 0
    }

    [Fact]
    public async Task a_queue_cap_out_of_range_is_refused_as_configuration()
    {
        var admin = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(admin, new { enabled = true });
        var refused = await admin.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/state/{ConfigType}", new { max_queue = 0 });
        Assert.Contains("max_queue", (await refused.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON"))["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_stream_answers_a_floor_request_without_consent_with_NO_CONSENT()
    {
        var admin = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(admin, new { enabled = true });
        await using var socket = await LiveSocket.OpenAsync(_host, admin);
        await socket.SubscribeAsync(room.Id);
        await socket.SendAsync(new { type = "floor.request", room_id = room.Id, priority = "normal" });
        var denied = await socket.NextAsync("floor.denied");
        Assert.Equal(("ORG.MATRIX.MSC4002_NO_CONSENT", room.Id), (denied["errcode"]!.GetValue<string>(), denied["room_id"]!.GetValue<string>()));
        Assert.Equal("idle", State(await room.FloorAsync(admin)));
    }

    [Fact]
    public async Task floor_taken_marks_an_emergency_for_listeners_and_late_entrants_and_a_normal_grant_not()
    {
        var (room, admin, mod, user, _) = await RoomAsync();
        await using var listener = await LiveSocket.OpenAsync(_host, user);
        await listener.SubscribeAsync(room.Id);

        var normal = await room.RequestOkAsync(admin);
        var taken = await listener.NextAsync("floor.taken");
        Assert.Equal((normal["epoch"]!.GetValue<long>(), null), (taken["epoch"]!.GetValue<long>(), taken["emergency"]));

        var emergency = await room.RequestOkAsync(mod, "emergency");
        taken = await listener.NextAsync("floor.taken");
        Assert.Equal((emergency["epoch"]!.GetValue<long>(), true), (taken["epoch"]!.GetValue<long>(), taken["emergency"]!.GetValue<bool>()));

        // A device that subscribes mid-emergency is told so right after `subscribed`.
        await using var late = await LiveSocket.OpenAsync(_host, admin);
        await late.SubscribeAsync(room.Id);
        var lateTaken = await late.NextAsync("floor.taken");
        Assert.Equal((mod.DeviceId, true), (lateTaken["holder"]!["device_id"]!.GetValue<string>(), lateTaken["emergency"]!.GetValue<bool>()));
    }
}
