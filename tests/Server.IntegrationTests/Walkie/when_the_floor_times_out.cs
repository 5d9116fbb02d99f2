using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_the_floor_times_out(IntegrationFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task max_talk_time_revokes_the_holder_on_time_and_hands_over()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, max_talk_ms = 1_200, end_of_media_ms = 60_000 }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);
        var granted = await room.RequestOkAsync(alice);
        var expires = granted["expires_ts"]!.GetValue<long>();
        await room.RequestOkAsync(bob);

        var (floor, _) = await EventuallyAsync(() => room.FloorAsync(alice), f => Holder(f) == bob.DeviceId, TimeSpan.FromSeconds(10),
            "bob handed the floor at alice's max talk time");
        var late = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - expires;
        output.WriteLine($"max talk revocation observed {late} ms after the deadline (polling every 50 ms)");
        Assert.InRange(late, 0, 400);
        Assert.Equal(granted["epoch"]!.GetValue<long>() + 1, Epoch(floor));
        // Bob's grant runs on the same settings: it ends too, and then the floor is idle.
        await EventuallyAsync(() => room.FloorAsync(alice), f => State(f) == "idle", TimeSpan.FromSeconds(10), "idle after bob's max talk");
    }

    [Fact]
    public async Task end_of_media_revokes_a_silent_holder_counting_from_the_grant()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, max_talk_ms = 60_000, end_of_media_ms = 800 });
        await room.ConsentAsync(alice);
        var grantedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var granted = await room.RequestOkAsync(alice);

        var (floor, _) = await EventuallyAsync(() => room.FloorAsync(alice), f => State(f) == "idle", TimeSpan.FromSeconds(10),
            "floor idle after end of media");
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - grantedAt;
        output.WriteLine($"end of media revocation observed {after} ms after the request (limit 800 ms, polling every 50 ms)");
        Assert.InRange(after, 800, 1_400);
        Assert.Equal(granted["epoch"]!.GetValue<long>(), Epoch(floor));
    }

    [Fact]
    public async Task audio_frames_keep_a_holder_past_end_of_media_and_its_timers_decide_nothing_meanwhile()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, max_talk_ms = 60_000, end_of_media_ms = 600 });
        await room.ConsentAsync(alice);
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        var media = _host.Services.GetRequiredService<WalkieTalkie.Server.Walkie.Floor.IMediaActivity>();
        // Every floor transaction is a span tagged with its room: while audio arrives, the timers re-arm without one.
        var decisions = 0;
        using var spans = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == WalkieServer.ActivitySource,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == WalkieTalkie.Server.Walkie.Observability.FloorMetrics.DecideSpan && Equals(a.GetTagItem("walkie.room"), room.Id))
                    Interlocked.Increment(ref decisions);
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(spans);

        var talking = System.Diagnostics.Stopwatch.StartNew();
        while (talking.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            media.FrameReceived(room.Id, epoch, DateTimeOffset.UtcNow);
            await Task.Delay(100);
        }
        var decidedWhileTalking = Volatile.Read(ref decisions);
        Assert.Equal(alice.DeviceId, Holder(await room.FloorAsync(alice)));
        output.WriteLine($"floor transactions in the room during 2.5 s of audio (end of media 600 ms): {decidedWhileTalking}");
        Assert.Equal(0, decidedWhileTalking);
        // Silence from now: end of media counts from the last frame, and is decided.
        await EventuallyAsync(() => room.FloorAsync(alice), f => State(f) == "idle", TimeSpan.FromSeconds(10), "idle after silence");
        Assert.True(Volatile.Read(ref decisions) >= 1, "the end-of-media revocation is a floor transaction");
    }
}
