using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Stream;
using ServerDevice = WalkieTalkie.Server.Infrastructure.DeviceRef;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Stream;

/// <summary>
/// Frames at the edges of a grant (issue 14): the first frames right after an HTTP grant, which may reach a stream before
/// its process has heard of the grant, and the last frames of a pre-empted talker on a slow link, still in flight.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_frames_race_the_floor(IntegrationFixture fixture)
{
    static readonly byte[][] Packets = Enumerable.Range(0, 5).Select(i => Enumerable.Range(0, 40 + i).Select(b => (byte)(b * 7 + i)).ToArray()).ToArray();

    /// <summary>The server meter's <c>walkie.stream.frames.dropped</c> for one reason, as an exporter would collect it.</summary>
    static long DroppedFramesMetric(WalkieHost host, string reason)
    {
        var meter = host.Services.GetRequiredService<StreamMetrics>().Meter;
        long value = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "walkie.stream.frames.dropped") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "reason" && (string?)tag.Value == reason) value = measurement;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    [Fact]
    public async Task every_frame_sent_at_once_after_an_http_grant_is_relayed_whichever_process_holds_the_stream()
    {
        // Freshly started processes, as in the report: the HTTP grant is answered by A, the talker's stream is on A or on B.
        var database = await fixture.CreateDatabaseAsync();
        await using var a = await WalkieHost.StartAsync(database);
        await using var b = await WalkieHost.StartAsync(database);
        var alice = await MatrixTestClient.RegisterAsync(a);
        var bob = await MatrixTestClient.RegisterAsync(a);
        var carol = await MatrixTestClient.RegisterAsync(a);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, end_of_media_ms = 30000 }, [bob, carol]);
        foreach (var client in new[] { alice, bob, carol }) await room.ConsentAsync(client);

        await using var listenerOnA = await LiveSocket.OpenAsync(a, bob);
        await using var listenerOnB = await LiveSocket.OpenAsync(b, carol);
        await listenerOnA.SubscribeAsync(room.Id);
        await listenerOnB.SubscribeAsync(room.Id);

        const int rounds = 12;
        var lost = new List<string>();
        foreach (var (name, host) in new[] { ("A", a), ("B", b) })
        {
            await using var talker = await LiveSocket.OpenAsync(host, alice);
            await talker.SubscribeAsync(room.Id);
            for (var round = 0; round < rounds; round++)
            {
                var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
                for (var seq = 0; seq < Packets.Length; seq++) await talker.SendFrameAsync(room.Id, epoch, (uint)seq, Packets[seq]);

                foreach (var (where, listener) in new[] { ("A", listenerOnA), ("B", listenerOnB) })
                {
                    var heard = await listener.FramesAsync(Packets.Length, TimeSpan.FromSeconds(5));
                    var seqs = heard.Where(f => f.Header.Epoch == (uint)epoch).Select(f => f.Header.Seq).ToList();
                    if (!seqs.SequenceEqual(Enumerable.Range(0, Packets.Length).Select(i => (uint)i)))
                        lost.Add($"stream on {name}, listener on {where}, epoch {epoch}: heard [{string.Join(",", seqs)}]");
                }
                (await room.ReleaseAsync(alice, epoch)).EnsureSuccessStatusCode();
            }
        }

        Assert.True(lost.Count == 0, $"{lost.Count} of {2 * 2 * rounds} bursts lost frames:\n{string.Join("\n", lost)}");
        var hubs = new[] { a, b }.Select(h => h.Services.GetRequiredService<StreamHub>()).ToList();
        Assert.All(hubs, hub => Assert.Equal(0, hub.FramesDroppedFor(FrameDropReason.NotHolder)));
    }

    [Fact]
    public async Task a_preempted_talker_that_keeps_sending_its_old_epoch_stays_connected_and_nothing_is_relayed()
    {
        var host = fixture.Server;
        var dispatcher = await MatrixTestClient.RegisterAsync(host); // creates the room: power level 100
        var alice = await MatrixTestClient.RegisterAsync(host);
        var carol = await MatrixTestClient.RegisterAsync(host);
        var room = await WalkieRoom.CreateAsync(dispatcher, new { enabled = true, preempt_power_level = 50 }, [alice, carol]);
        foreach (var client in new[] { dispatcher, alice, carol }) await room.ConsentAsync(client);

        await using var talker = await LiveSocket.OpenAsync(host, alice);
        await using var listener = await LiveSocket.OpenAsync(host, carol);
        await talker.SubscribeAsync(room.Id);
        await listener.SubscribeAsync(room.Id);
        await talker.SendAsync(new ClientMessage.FloorRequest(room.Id));
        var epoch = (await talker.NextAsync(ControlTypes.FloorGranted))["epoch"]!.GetValue<long>();
        for (uint seq = 0; seq < 10; seq++) await talker.SendFrameAsync(room.Id, epoch, seq, Packets[seq % 5]);
        Assert.Equal(10, (await listener.FramesAsync(10, TimeSpan.FromSeconds(5))).Count);

        var preempted = await room.RequestOkAsync(dispatcher, FloorPriorityWire.Preempt);
        Assert.Equal(epoch + 1, preempted["epoch"]!.GetValue<long>());
        Assert.Equal("preempted", (await talker.NextAsync(ControlTypes.FloorRevoked))["reason"]!.GetValue<string>());

        // A talker at ≥ 1 s round trip has a second of frames in flight when it hears floor.revoked: twice the invalid-frame limit here.
        for (uint seq = 10; seq < 110; seq++)
        {
            await talker.SendFrameAsync(room.Id, epoch, seq, Packets[seq % 5]);
            await Task.Delay(15); // below the per-connection rate limit, so every one is judged as a late frame
        }

        await talker.SendAsync(new ClientMessage.Ping());
        await talker.NextAsync(ControlTypes.Pong);
        Assert.Null(talker.CloseStatus);
        Assert.Empty(await listener.FramesAsync(1, TimeSpan.FromMilliseconds(500)));
        var hub = host.Services.GetRequiredService<StreamHub>();
        var connection = Assert.Single(hub.ConnectionsOf(new ServerDevice(alice.UserId, alice.DeviceId)));
        Assert.Equal((0L, 100L), (connection.InvalidFrames, connection.LateFramesDropped));
        Assert.True(DroppedFramesMetric(host, "late_for_ended_grant") >= 100, "the meter counts the quiet drops by reason");

        // Other invalid frames still count: a frame of an epoch it never held is held against it.
        await talker.SendFrameAsync(room.Id, epoch - 1, 0, Packets[0]);
        await WalkieRoom.EventuallyAsync(() => Task.FromResult(connection.InvalidFrames), n => n == 1, TimeSpan.FromSeconds(5), "an invalid frame counted");
    }
}
