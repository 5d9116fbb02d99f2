using WalkieTalkie.Audio;
using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Stream;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using WalkieTalkie.Audio.Tests;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Stream;

/// <summary>The live stream: single-speaker relay of real Opus frames over real WebSockets.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_audio_is_relayed(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;
    static readonly Lazy<List<byte[]>> Speech = new(() =>
    {
        using var encoder = new OpusVoiceEncoder();
        return encoder.EncodeAll(SpeechSample.Get().Pcm);
    });

    async Task<(WalkieRoom Room, MatrixTestClient Alice, MatrixTestClient Bob)> RoomWithTalkerAndListenerAsync(object? config = null)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, config ?? new { enabled = true }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);
        _ = Speech.Value; // made before any grant: on a loaded machine espeak-ng may take longer than end of media
        return (room, alice, bob);
    }

    /// <summary>A walkie room on its own <paramref name="host"/>: alice created it, bob and carol joined, all three consent.</summary>
    static async Task<(WalkieRoom Room, MatrixTestClient Alice, MatrixTestClient Bob, MatrixTestClient Carol)> RoomOfThreeAsync(WalkieHost host)
    {
        var alice = await MatrixTestClient.RegisterAsync(host);
        var bob = await MatrixTestClient.RegisterAsync(host);
        var carol = await MatrixTestClient.RegisterAsync(host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob, carol]);
        foreach (var client in new[] { alice, bob, carol }) await room.ConsentAsync(client);
        return (room, alice, bob, carol);
    }

    static async Task<long> GrantedOverStreamAsync(LiveSocket socket, string roomId)
    {
        await socket.SendAsync(new ClientMessage.FloorRequest(roomId, FloorPriority.Normal));
        return (await socket.NextAsync(ControlTypes.FloorGranted))["epoch"]!.GetValue<long>();
    }

    [Fact]
    public async Task only_subscribed_consenting_devices_hear_the_holder_with_their_own_channel()
    {
        var (room, alice, bob) = await RoomWithTalkerAndListenerAsync();
        var carol = await MatrixTestClient.RegisterAsync(_host); // subscribed, never consented
        var dave = await MatrixTestClient.RegisterAsync(_host);  // consented, never subscribed
        await room.JoinAsync(carol);
        await room.JoinAsync(dave);
        await room.ConsentAsync(dave);

        await using var talker = await LiveSocket.OpenAsync(_host, alice);
        await using var listener = await LiveSocket.OpenAsync(_host, bob);
        await using var bystander = await LiveSocket.OpenAsync(_host, carol);
        await using var unsubscribed = await LiveSocket.OpenAsync(_host, dave);
        await talker.SubscribeAsync(room.Id);
        var listenerChannel = (await listener.SubscribeAsync(room.Id))[room.Id];
        await bystander.SubscribeAsync(room.Id);

        var epoch = await GrantedOverStreamAsync(talker, room.Id);
        Assert.Equal(alice.UserId, (await listener.NextAsync(ControlTypes.FloorTaken))["holder"]!["user_id"]!.GetValue<string>());
        Assert.Equal(epoch, (await bystander.NextAsync(ControlTypes.FloorTaken))["epoch"]!.GetValue<long>());

        var packets = Speech.Value.Take(50).ToList();
        for (var seq = 0; seq < packets.Count; seq++) await talker.SendFrameAsync(room.Id, epoch, (uint)seq, packets[seq]);

        var heard = await listener.FramesAsync(packets.Count, TimeSpan.FromSeconds(10));
        Assert.Equal(packets.Count, heard.Count);
        Assert.All(heard, f => Assert.Equal((listenerChannel, (uint)epoch), (f.Header.Channel, f.Header.Epoch)));
        Assert.Equal(Enumerable.Range(0, packets.Count).Select(i => (uint)i), heard.Select(f => f.Header.Seq));
        Assert.Equal(packets, heard.Select(f => f.Payload)); // the payload is relayed untouched (E2EE ciphertext stays opaque)
        // On plain TCP the relay writes to the listener's socket itself, not through Kestrel's output pipe.
        var hub = _host.Services.GetRequiredService<StreamHub>();
        Assert.True(Assert.Single(hub.ConnectionsOf(new WalkieTalkie.Server.Infrastructure.DeviceRef(bob.UserId, bob.DeviceId))).WritesToSocket);

        Assert.Empty(await bystander.FramesAsync(1, TimeSpan.FromMilliseconds(500)));
        Assert.Empty(await unsubscribed.FramesAsync(1, TimeSpan.FromMilliseconds(200)));
        Assert.Empty(await talker.FramesAsync(1, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task frames_from_a_non_holder_or_with_a_stale_epoch_are_dropped()
    {
        var (room, alice, bob) = await RoomWithTalkerAndListenerAsync();
        await using var talker = await LiveSocket.OpenAsync(_host, alice);
        await using var listener = await LiveSocket.OpenAsync(_host, bob);
        await talker.SubscribeAsync(room.Id);
        await listener.SubscribeAsync(room.Id);

        var first = await GrantedOverStreamAsync(talker, room.Id);
        // Bob is not the holder: his frames go nowhere.
        await listener.SendFrameAsync(room.Id, first, 0, Speech.Value[0]);
        await talker.SendAsync(new ClientMessage.FloorRelease(room.Id, first));
        await talker.NextAsync(ControlTypes.FloorIdle);
        var second = await GrantedOverStreamAsync(talker, room.Id);
        Assert.Equal(first + 1, second);

        await talker.SendFrameAsync(room.Id, first, 1, Speech.Value[1]);  // stale epoch
        await talker.SendFrameAsync(room.Id, second, 2, Speech.Value[2]); // current
        var heard = await listener.FramesAsync(2, TimeSpan.FromSeconds(1));
        Assert.Equal([2u], heard.Select(f => f.Header.Seq));
        Assert.Equal((uint)second, heard[0].Header.Epoch);
    }

    [Fact]
    public async Task a_device_that_subscribes_mid_burst_is_told_the_holder_and_hears_the_next_frame()
    {
        var (room, alice, bob) = await RoomWithTalkerAndListenerAsync();
        var carol = await MatrixTestClient.RegisterAsync(_host);
        await room.JoinAsync(carol);
        await room.ConsentAsync(carol);
        await using var talker = await LiveSocket.OpenAsync(_host, alice);
        await using var early = await LiveSocket.OpenAsync(_host, carol);
        await talker.SubscribeAsync(room.Id);
        await early.SubscribeAsync(room.Id);
        var epoch = await GrantedOverStreamAsync(talker, room.Id);
        for (uint seq = 0; seq < 10; seq++) await talker.SendFrameAsync(room.Id, epoch, seq, Speech.Value[(int)seq]);
        // Once an early listener heard them, the server has relayed the first part of the burst.
        Assert.Equal(10, (await early.FramesAsync(10, TimeSpan.FromSeconds(5))).Count);

        await using var late = await LiveSocket.OpenAsync(_host, bob);
        var subscribedAt = Stopwatch.GetTimestamp();
        await late.SubscribeAsync(room.Id);
        var taken = await late.NextAsync(ControlTypes.FloorTaken);
        Assert.Equal(epoch, taken["epoch"]!.GetValue<long>());

        await talker.SendFrameAsync(room.Id, epoch, 10, Speech.Value[10]);
        var heard = Assert.Single(await late.FramesAsync(1, TimeSpan.FromSeconds(5)));
        Assert.Equal(10u, heard.Header.Seq);
        Assert.True(Stopwatch.GetElapsedTime(subscribedAt, heard.At) < TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData(true)]  // writes straight to each socket
    [InlineData(false)] // writes through Kestrel's output pipe
    public async Task a_stalled_listener_does_not_hold_back_a_healthy_one(bool writeToSocket)
    {
        // Its own server, with the talker's rate limit lifted so the stalled socket's buffers fill within seconds.
        await using var host = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync(), new Dictionary<string, string?>
        {
            ["Walkie:Stream:MaxFramesPerSecond"] = "100000", ["Walkie:Stream:WriteToSocket"] = writeToSocket.ToString(),
        });
        var (room, alice, bob, carol) = await RoomOfThreeAsync(host);

        await using var talker = await LiveSocket.OpenAsync(host, alice);
        await using var healthy = await LiveSocket.OpenAsync(host, bob);
        await using var stalled = await LiveSocket.OpenAsync(host, carol, read: false);
        await talker.SubscribeAsync(room.Id);
        await healthy.SubscribeAsync(room.Id);
        // The stalled socket never reads: it subscribes blind and its buffers fill up.
        await stalled.SendAsync(new ClientMessage.Subscribe([room.Id]));
        await Task.Delay(300);

        var epoch = await GrantedOverStreamAsync(talker, room.Id);
        var payload = new byte[AudioFrame.MaxPayloadSize];
        Random.Shared.NextBytes(payload);
        const int count = 4000; // 6 MB: more than loopback socket buffers hold
        for (uint seq = 0; seq < count; seq++)
        {
            await talker.SendFrameAsync(room.Id, epoch, seq, payload);
            if (seq % 8 == 7) await Task.Delay(1);
        }

        var heard = await healthy.FramesAsync(count, TimeSpan.FromSeconds(20));
        Assert.Equal(count, heard.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (uint)i), heard.Select(f => f.Header.Seq));
        var hub = host.Services.GetRequiredService<WalkieTalkie.Server.Walkie.Stream.StreamHub>();
        var stalledConnection = Assert.Single(hub.ConnectionsOf(new WalkieTalkie.Server.Infrastructure.DeviceRef(carol.UserId, carol.DeviceId)));
        Assert.True(stalledConnection.AudioDropped > 0, "the stalled listener's queue filled and dropped its oldest frames");
        Assert.Equal(writeToSocket, stalledConnection.WritesToSocket);
    }

    [Fact]
    public async Task a_room_bigger_than_one_lane_hears_every_frame_in_order_and_floor_idle_after_the_last()
    {
        // Three lanes: past the first 64 listeners, the fan-out also runs on thread-pool lanes.
        await using var host = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync(), new Dictionary<string, string?>
        {
            ["Walkie:Stream:RelayLanes"] = "3", ["Walkie:Stream:MaxFramesPerSecond"] = "100000",
        });
        var (room, alice, bob, carol) = await RoomOfThreeAsync(host);

        await using var talker = await LiveSocket.OpenAsync(host, alice);
        await talker.SubscribeAsync(room.Id);
        var listeners = new List<LiveSocket>();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                var listener = await LiveSocket.OpenAsync(host, i % 2 == 0 ? bob : carol); // several streams per device
                listeners.Add(listener);
                await listener.SubscribeAsync(room.Id);
            }

            var epoch = await GrantedOverStreamAsync(talker, room.Id);
            var packets = Speech.Value.Take(200).ToList();
            for (var seq = 0; seq < packets.Count; seq++) await talker.SendFrameAsync(room.Id, epoch, (uint)seq, packets[seq]); // unpaced
            await talker.SendAsync(new ClientMessage.FloorRelease(room.Id, epoch));

            foreach (var listener in listeners)
            {
                await listener.NextAsync(ControlTypes.FloorIdle);
                // The receive loop reads in order: every frame sent before the release is already in when floor.idle is read.
                Assert.Equal(packets.Count, listener.PendingFrames);
                var heard = await listener.FramesAsync(packets.Count, TimeSpan.FromSeconds(5));
                Assert.Equal(Enumerable.Range(0, packets.Count).Select(i => (uint)i), heard.Select(f => f.Header.Seq));
                Assert.Equal(packets, heard.Select(f => f.Payload));
            }
            Assert.Equal(100L * packets.Count, host.Services.GetRequiredService<StreamHub>().FramesRelayed);
        }
        finally
        {
            foreach (var listener in listeners) await listener.DisposeAsync();
        }
    }

    [Fact]
    public async Task the_holders_stream_closing_frees_the_floor_as_disconnected()
    {
        var (room, alice, bob) = await RoomWithTalkerAndListenerAsync();
        await using var listener = await LiveSocket.OpenAsync(_host, bob);
        await listener.SubscribeAsync(room.Id);
        var talker = await LiveSocket.OpenAsync(_host, alice);
        await talker.SubscribeAsync(room.Id);
        await GrantedOverStreamAsync(talker, room.Id);
        await listener.NextAsync(ControlTypes.FloorTaken);

        await talker.DisposeAsync();
        var idle = await listener.NextAsync(ControlTypes.FloorIdle);
        Assert.Equal("disconnected", idle["reason"]!.GetValue<string>());
        Assert.Equal("idle", (await room.FloorAsync(bob))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_connection_sending_garbage_gets_an_error_and_is_closed_with_1008()
    {
        var (room, alice, _) = await RoomWithTalkerAndListenerAsync();
        await using var socket = await LiveSocket.OpenAsync(_host, alice);
        await socket.SubscribeAsync(room.Id);
        for (var i = 0; i < 60; i++) await socket.SendRawAsync([9, 9, 9]);
        var error = await socket.NextAsync(ControlTypes.Error);
        Assert.Equal(ProtocolErrors.LimitExceeded, error["errcode"]!.GetValue<string>());
        Assert.True(await socket.ClosedAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
    }

    [Fact]
    public async Task a_control_message_may_fill_its_16_KiB_limit_and_one_beyond_it_closes_the_stream_with_1009()
    {
        var (room, alice, _) = await RoomWithTalkerAndListenerAsync();
        await using var socket = await LiveSocket.OpenAsync(_host, alice);
        // Longer than an audio frame's buffer, within the limit: answered like any other (unknown fields are ignored).
        await SubscribeSizedAsync(socket, room.Id, 16 * 1024);
        Assert.Contains(room.Id, (await socket.NextAsync(ControlTypes.Subscribed))["channels"]!.AsObject().Select(c => c.Key));
        await socket.SendAsync(new ClientMessage.Ping());
        await socket.NextAsync(ControlTypes.Pong); // the short message after the long one is read whole

        await SubscribeSizedAsync(socket, room.Id, 16 * 1024 + 1);
        Assert.Equal(ProtocolErrors.TooLarge, (await socket.NextAsync(ControlTypes.Error))["errcode"]!.GetValue<string>());
        Assert.True(await socket.ClosedAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.CloseStatus);

        static async Task SubscribeSizedAsync(LiveSocket socket, string roomId, int bytes)
        {
            var empty = JsonSerializer.Serialize(new { type = ControlTypes.Subscribe, rooms = new[] { roomId }, padding = "" });
            var message = JsonSerializer.Serialize(new { type = ControlTypes.Subscribe, rooms = new[] { roomId }, padding = new string('x', bytes - empty.Length) });
            Assert.Equal(bytes, Encoding.UTF8.GetByteCount(message));
            await socket.SendRawTextAsync(message);
        }
    }

    [Fact]
    public async Task subscribing_to_a_room_you_are_not_in_is_refused_and_a_missing_token_is_401()
    {
        var (room, _, _) = await RoomWithTalkerAndListenerAsync();
        var outsider = await MatrixTestClient.RegisterAsync(_host);
        await using var socket = await LiveSocket.OpenAsync(_host, outsider);
        await socket.SendAsync(new ClientMessage.Subscribe([room.Id]));
        var error = await socket.NextAsync(ControlTypes.Error);
        Assert.Equal(("M_FORBIDDEN", room.Id), (error["errcode"]!.GetValue<string>(), error["room_id"]!.GetValue<string>()));
        Assert.Empty((await socket.NextAsync(ControlTypes.Subscribed))["channels"]!.AsObject());

        await socket.SendAsync(new ClientMessage.Ping());
        await socket.NextAsync(ControlTypes.Pong);

        using var anonymous = new ClientWebSocket();
        var uri = new UriBuilder(_host.BaseAddress) { Scheme = "ws", Path = WalkieRoom.P + "/stream" }.Uri;
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => anonymous.ConnectAsync(uri, CancellationToken.None));
        Assert.Contains("401", refused.Message);
    }

    [Fact]
    public async Task a_burst_is_recorded_as_a_started_and_ended_event_pair_with_its_counts()
    {
        var (room, alice, bob) = await RoomWithTalkerAndListenerAsync();
        await using var talker = await LiveSocket.OpenAsync(_host, alice);
        await using var listener = await LiveSocket.OpenAsync(_host, bob);
        await talker.SubscribeAsync(room.Id);
        await listener.SubscribeAsync(room.Id);
        var epoch = await GrantedOverStreamAsync(talker, room.Id);
        var packets = Speech.Value.Take(25).ToList();
        for (var seq = 0; seq < packets.Count; seq++) await talker.SendFrameAsync(room.Id, epoch, (uint)seq, packets[seq]);
        await listener.FramesAsync(packets.Count, TimeSpan.FromSeconds(5));
        await talker.SendAsync(new ClientMessage.FloorRelease(room.Id, epoch));
        await listener.NextAsync(ControlTypes.FloorIdle);

        var store = _host.Services.GetRequiredService<Marten.IDocumentStore>();
        var (events, _) = await WalkieRoom.EventuallyAsync(async () =>
        {
            await using var session = store.QuerySession();
            return await session.Events.FetchStreamAsync(WalkieTalkie.Server.Walkie.Stream.BurstStream.Id(room.Id));
        }, e => e.Count >= 2, TimeSpan.FromSeconds(10), "burst events");
        var started = Assert.IsType<WalkieTalkie.Server.Walkie.Stream.BurstStarted>(events[0].Data);
        var ended = Assert.IsType<WalkieTalkie.Server.Walkie.Stream.BurstEnded>(events[1].Data);
        Assert.Equal((epoch, alice.DeviceId), (started.Epoch, started.Speaker.DeviceId));
        Assert.Equal((packets.Count, packets.Sum(p => (long)p.Length), packets.Count * 20L, "released"),
            (ended.Frames, ended.Bytes, ended.DurationMs, ended.Reason));
    }
}
