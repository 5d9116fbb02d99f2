using System.Diagnostics;

namespace WalkieTalkie.Server.IntegrationTests.Sync;

[Collection(IntegrationCollection.Name)]
public sealed class when_clients_sync(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task a_long_poll_wakes_as_soon_as_an_event_arrives_not_at_the_timeout()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync();
        var since = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();

        var watch = Stopwatch.StartNew();
        var poll = alice.SyncAsync(since, timeoutMs: 20_000);
        await Task.Delay(300);
        Assert.False(poll.IsCompleted, "nothing happened yet, the poll must wait");
        var eventId = await alice.SendTextAsync(room, "wake up");
        var woke = await poll;
        watch.Stop();

        Assert.Contains(woke.TimelineOf(room), e => e["event_id"]!.GetValue<string>() == eventId);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"woke after {watch.Elapsed}");
    }

    [Fact]
    public async Task an_empty_long_poll_returns_the_same_position_after_its_timeout()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await alice.CreateRoomAsync();
        var since = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();
        var empty = await alice.SyncAsync(since, timeoutMs: 500);
        Assert.Equal(since.Split('_')[0], empty["next_batch"]!.GetValue<string>().Split('_')[0]);
        Assert.Empty(empty["rooms"]!["join"]!.AsObject());
    }

    [Fact]
    public async Task a_long_poll_on_one_server_wakes_for_an_event_committed_by_another_process()
    {
        await using var other = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync());
        // Same database for both: a second server process joins the first's database.
        var connection = other.App.Configuration.GetConnectionString("walkie")!;
        await using var second = await WalkieHost.StartAsync(connection);

        var alice = await MatrixTestClient.RegisterAsync(other);
        var room = await alice.CreateRoomAsync();
        var since = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();
        var aliceOnSecond = new MatrixTestClient(second.BaseAddress, alice.UserId, alice.DeviceId, alice.AccessToken);

        var poll = alice.SyncAsync(since, timeoutMs: 20_000);
        await Task.Delay(300);
        var eventId = await aliceOnSecond.SendTextAsync(room, "from the other process");
        var woke = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(woke.TimelineOf(room), e => e["event_id"]!.GetValue<string>() == eventId);
    }

    [Fact]
    public async Task concurrent_senders_in_many_rooms_never_make_an_incremental_sync_skip_an_event()
    {
        var reader = await MatrixTestClient.RegisterAsync(_host);
        var writers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => MatrixTestClient.RegisterAsync(_host)));
        var rooms = new List<string>();
        foreach (var writer in writers)
        {
            var room = await writer.CreateRoomAsync(new { invite = new[] { reader.UserId } });
            await reader.JoinAsync(room);
            rooms.Add(room);
        }
        var since = (await reader.SyncAsync())["next_batch"]!.GetValue<string>();

        var sent = new System.Collections.Concurrent.ConcurrentBag<string>();
        var sending = Task.WhenAll(writers.Select((w, i) => Task.Run(async () =>
        {
            for (var n = 0; n < 25; n++) sent.Add(await w.SendTextAsync(rooms[i], $"{i}-{n}"));
        })));

        var seen = new HashSet<string>();
        while (!sending.IsCompleted || seen.Count < sent.Count)
        {
            var sync = await reader.SyncAsync(since, timeoutMs: 2_000);
            since = sync["next_batch"]!.GetValue<string>();
            foreach (var room in rooms)
                foreach (var e in sync.TimelineOf(room).Where(e => e["type"]!.GetValue<string>() == "m.room.message"))
                    Assert.True(seen.Add(e["event_id"]!.GetValue<string>()), "an event was delivered twice");
            if (sending.IsCompleted && seen.Count < sent.Count && sync["rooms"]!["join"]!.AsObject().Count == 0)
                break;
        }
        await sending;
        Assert.Equal(sent.Count, seen.Count);
        Assert.Empty(sent.Except(seen));
    }

    [Fact]
    public async Task typing_and_receipts_arrive_as_room_ephemeral_events()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var eventId = await alice.SendTextAsync(room, "read me");
        var since = (await bob.SyncAsync())["next_batch"]!.GetValue<string>();

        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/typing/{Uri.EscapeDataString(alice.UserId)}", new { typing = true, timeout = 10_000 });
        await alice.PostJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/receipt/m.read/{Uri.EscapeDataString(eventId)}", new { });

        var ephemeral = new List<JsonObject>();
        for (var i = 0; i < 5 && !(ephemeral.Any(e => e["type"]!.GetValue<string>() == "m.typing" && e["content"]!["user_ids"]!.AsArray().Count == 1)
                                   && ephemeral.Any(e => e["type"]!.GetValue<string>() == "m.receipt")); i++)
        {
            var sync = await bob.SyncAsync(since, timeoutMs: 2_000);
            since = sync["next_batch"]!.GetValue<string>();
            ephemeral.AddRange(sync["rooms"]!["join"]![room]?["ephemeral"]?["events"]?.AsArray().Select(e => e!.AsObject()) ?? []);
        }
        Assert.Contains(ephemeral, e => e["type"]!.GetValue<string>() == "m.typing" && e["content"]!["user_ids"]![0]!.GetValue<string>() == alice.UserId);
        var receipt = ephemeral.Single(e => e["type"]!.GetValue<string>() == "m.receipt");
        Assert.NotNull(receipt["content"]![eventId]!["m.read"]![alice.UserId]!["ts"]);

        await (await bob.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/typing/{Uri.EscapeDataString(alice.UserId)}", new { typing = true }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PostAsJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/receipt/m.read/$unknown", new { }))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task a_kicked_user_gets_the_room_under_leave_and_nothing_after()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var since = (await bob.SyncAsync())["next_batch"]!.GetValue<string>();
        await alice.PostJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/kick", new { user_id = bob.UserId });
        await alice.SendTextAsync(room, "after bob left");

        var sync = await bob.SyncAsync(since);
        var left = sync["rooms"]!["leave"]![room]!["timeline"]!["events"]!.AsArray();
        Assert.Equal(bob.UserId, left[^1]!["state_key"]!.GetValue<string>());
        Assert.DoesNotContain(left, e => e!["type"]!.GetValue<string>() == "m.room.message");
        Assert.Null(sync["rooms"]!["join"]![room]);
    }

    [Fact]
    public async Task a_gap_larger_than_the_timeline_limit_is_limited_with_a_prev_batch_that_paginates()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await alice.CreateRoomAsync();
        var since = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();
        var sent = new List<string>();
        for (var i = 0; i < 8; i++) sent.Add(await alice.SendTextAsync(room, $"n{i}"));

        var sync = await alice.SyncAsync(since, filter: """{"room":{"timeline":{"limit":3}}}""");
        var timeline = sync["rooms"]!["join"]![room]!["timeline"]!;
        Assert.True(timeline["limited"]!.GetValue<bool>());
        Assert.Equal(sent[5..], timeline["events"]!.AsArray().Select(e => e!["event_id"]!.GetValue<string>()));
        var older = await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/messages?dir=b&limit=2&from={timeline["prev_batch"]}");
        Assert.Equal([sent[4], sent[3]], older["chunk"]!.AsArray().Select(e => e!["event_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task an_invalid_since_token_is_M_INVALID_PARAM()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await alice.Http.GetAsync("/_matrix/client/v3/sync?since=garbage")).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        using var anonymous = _host.CreateClient();
        await (await anonymous.GetAsync("/_matrix/client/v3/sync")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }
}
