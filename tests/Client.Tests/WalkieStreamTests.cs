using System.Net.WebSockets;
using WalkieTalkie.Client.Live;
using WalkieTalkie.Client.Matrix;
using WalkieTalkie.Client.Talk;
using WalkieTalkie.Client.Walkie;

namespace WalkieTalkie.Client.Tests;

/// <summary>The stream against a scripted server on real loopback sockets: the wire bytes both ways, channels, close.</summary>
public class WalkieStreamTests
{
    private static readonly Uri Homeserver = new("http://hs.test:8008");
    private static readonly DeviceRef Alice = new("@alice:hs", "ALICE");

    private static WalkieStream Open(LoopbackServer server, bool tokenInQuery = false) =>
        new(Homeserver, "tok/en+1", new WalkieStreamOptions { Connector = server.Connector, AccessTokenInQuery = tokenInQuery, CloseTimeout = TimeSpan.FromSeconds(2) });

    [Fact]
    public void The_stream_uri_is_the_websocket_form_of_the_homeserver()
    {
        Assert.Equal("ws://hs.test:8008/_matrix/client/unstable/org.matrix.msc4002/stream", WalkieStream.BuildUri(Homeserver, null).ToString());
        Assert.Equal("wss://hs.test/base/_matrix/client/unstable/org.matrix.msc4002/stream?access_token=a%2Fb",
            WalkieStream.BuildUri(new Uri("https://hs.test/base/"), "a/b").AbsoluteUri);
    }

    [Fact]
    public async Task Subscribe_maps_rooms_to_channels_and_frames_carry_our_channel_out_and_are_mapped_back_in()
    {
        await using var server = new LoopbackServer();
        await using var stream = Open(server);
        Assert.False(stream.IsOpen);

        var subscribing = stream.SubscribeAsync(["!a:hs", "!b:hs"]);
        var peer = await server.AcceptAsync();
        var subscribe = await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { ["!a:hs"] = 3, ["!b:hs"] = 7 });
        var channels = await subscribing.WaitAsync(LoopbackServer.Patience);

        Assert.Equal(["!a:hs", "!b:hs"], subscribe.Rooms);
        Assert.Equal((3, 7), (channels["!a:hs"], channels["!b:hs"]));
        Assert.True(stream.IsOpen);
        var (uri, headers) = Assert.Single(server.Connects);
        Assert.Equal("ws://hs.test:8008/_matrix/client/unstable/org.matrix.msc4002/stream", uri.ToString());
        Assert.Equal("Bearer tok/en+1", headers["Authorization"]);
        Assert.IsType<ServerMessage.Subscribed>(await stream.Messages.NextAsync());

        await stream.SendAudioAsync("!b:hs", 12, 0, new byte[] { 0x78, 1, 2, 3 });
        var sent = await peer.ReceiveFrameAsync();
        Assert.Equal(new AudioFrameHeader(7, 12, 0), sent.Header);
        Assert.Equal([0x78, 1, 2, 3], sent.Payload);

        await peer.SendFrameAsync(3, 40, 5, new byte[] { 0x78, 9 });
        await peer.SendFrameAsync(9, 40, 6, new byte[] { 0x78, 9 }); // a channel we do not have: dropped
        await peer.SendFrameAsync(7, 41, 0, new byte[] { 0x78, 8 });
        var a = await stream.Frames.NextAsync();
        var b = await stream.Frames.NextAsync();
        Assert.Equal(("!a:hs", (ushort)3, 40u, 5u), (a.RoomId, a.Channel, a.Epoch, a.Seq));
        Assert.Equal([0x78, 9], a.Payload.ToArray());
        Assert.Equal(("!b:hs", 41u, 0u), (b.RoomId, b.Epoch, b.Seq));
        Assert.Equal(1, stream.FramesDropped);
    }

    [Fact]
    public async Task Control_messages_go_out_as_json_and_come_back_typed_in_order()
    {
        await using var server = new LoopbackServer();
        await using var stream = Open(server, tokenInQuery: true);
        var subscribing = stream.SubscribeAsync(["!a:hs"]);
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { ["!a:hs"] = 1 });
        await subscribing.WaitAsync(LoopbackServer.Patience);
        Assert.Equal("?access_token=tok%2Fen%2B1", server.Connects[0].Uri.Query);
        Assert.Empty(server.Connects[0].Headers);

        await stream.RequestFloorAsync("!a:hs", FloorPriority.Preempt);
        await stream.ReleaseFloorAsync("!a:hs", 9);
        await stream.PingAsync();
        Assert.Equal(new ClientMessage.FloorRequest("!a:hs", FloorPriority.Preempt), await peer.ReceiveControlAsync<ClientMessage.FloorRequest>());
        Assert.Equal(new ClientMessage.FloorRelease("!a:hs", 9), await peer.ReceiveControlAsync<ClientMessage.FloorRelease>());
        await peer.ReceiveControlAsync<ClientMessage.Ping>();

        await peer.SendAsync(new ServerMessage.FloorTaken("!a:hs", Alice, 9));
        await peer.SendTextAsync("""{"type":"floor.sparkles","room_id":"!a:hs"}""");
        await peer.SendAsync(new ServerMessage.Pong());
        await stream.Messages.NextAsync(); // subscribed
        Assert.Equal(new ServerMessage.FloorTaken("!a:hs", Alice, 9), await stream.Messages.NextAsync());
        Assert.Equal("floor.sparkles", Assert.IsType<ServerMessage.Unknown>(await stream.Messages.NextAsync()).MessageType);
        Assert.IsType<ServerMessage.Pong>(await stream.Messages.NextAsync());
    }

    [Fact]
    public async Task Concurrent_senders_never_interleave_writes()
    {
        await using var server = new LoopbackServer();
        await using var stream = Open(server);
        var subscribing = stream.SubscribeAsync(["!a:hs"]);
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { ["!a:hs"] = 2 });
        await subscribing.WaitAsync(LoopbackServer.Patience);

        var payload = Enumerable.Range(0, 1500).Select(i => (byte)i).ToArray();
        var senders = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (uint i = 0; i < 25; i++)
            {
                await stream.SendAudioAsync("!a:hs", (uint)t, i, payload);
                if (i % 5 == 0) await stream.PingAsync();
            }
        })).ToList();
        var received = new List<Received>();
        for (int i = 0; i < 8 * 30; i++)
            received.Add(await peer.ReceiveAsync());
        await Task.WhenAll(senders).WaitAsync(LoopbackServer.Patience);

        var frames = received.OfType<Received.Frame>().ToList();
        Assert.Equal(200, frames.Count);
        Assert.Equal(40, received.OfType<Received.Control>().Count());
        Assert.All(frames, f => Assert.Equal(payload, f.Payload));
        foreach (var byTalker in frames.GroupBy(f => f.Header.Epoch))
            Assert.Equal(Enumerable.Range(0, 25).Select(i => (uint)i), byTalker.Select(f => f.Header.Seq));
    }

    [Fact]
    public async Task Close_is_a_clean_1000_and_the_next_control_message_reopens_and_resubscribes()
    {
        await using var server = new LoopbackServer();
        await using var stream = Open(server);
        var subscribing = stream.SubscribeAsync(["!a:hs"]);
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { ["!a:hs"] = 1 });
        await subscribing.WaitAsync(LoopbackServer.Patience);

        var closing = stream.CloseAsync();
        var close = Assert.IsType<Received.Close>(await peer.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, close.Status);
        await peer.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await closing.WaitAsync(LoopbackServer.Patience);
        Assert.False(stream.IsOpen);
        Assert.Empty(stream.Channels);
        await Assert.ThrowsAsync<WalkieStreamException>(async () => await stream.SendAudioAsync("!a:hs", 1, 0, new byte[] { 0x78 }));

        var requesting = stream.RequestFloorAsync("!a:hs");
        var again = await server.AcceptAsync();
        Assert.Equal(["!a:hs"], (await again.AcceptSubscribeAsync(new Dictionary<string, ushort> { ["!a:hs"] = 4 })).Rooms);
        await requesting.WaitAsync(LoopbackServer.Patience);
        Assert.IsType<ClientMessage.FloorRequest>((await again.ReceiveControlAsync<ClientMessage.FloorRequest>()));
        Assert.Equal(4, stream.Channels["!a:hs"]);
        Assert.Equal(2, server.Connects.Count);
    }

    [Fact]
    public async Task A_server_close_with_1008_reaches_the_reader_as_disconnected()
    {
        await using var server = new LoopbackServer();
        await using var stream = Open(server);
        var subscribing = stream.SubscribeAsync(["!a:hs"]);
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { ["!a:hs"] = 1 });
        await subscribing.WaitAsync(LoopbackServer.Patience);

        await peer.SendAsync(new ServerMessage.StreamError("M_BAD_JSON", "too many invalid frames", null));
        await peer.Socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "invalid frames", CancellationToken.None);

        Assert.IsType<ServerMessage.StreamError>(await stream.Messages.NextOfTypeAsync<ServerMessage, ServerMessage.StreamError>());
        var gone = await stream.Messages.NextOfTypeAsync<ServerMessage, ServerMessage.Disconnected>();
        Assert.Equal((WebSocketCloseStatus.PolicyViolation, "invalid frames"), (gone.CloseStatus, gone.Description));
        Assert.False(stream.IsOpen);
    }

    [Fact]
    public async Task Observers_see_messages_and_frames_in_wire_order()
    {
        await using var server = new LoopbackServer();
        await using var stream = new WalkieStream(new Uri("http://hs.test"), "tok",
            new WalkieStreamOptions { Connector = server.Connector, QueueReceivedFrames = false });
        var seen = new OrderRecorder();
        stream.AddObserver(seen);
        var subscribing = stream.SubscribeAsync(["!a:hs"]);
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { ["!a:hs"] = 1 });
        await subscribing.WaitAsync(LoopbackServer.Patience);

        await peer.SendAsync(new ServerMessage.FloorTaken("!a:hs", Alice, 2));
        for (uint seq = 0; seq < 50; seq++) await peer.SendFrameAsync(1, 2, seq, new byte[] { 0x78 });
        await peer.SendAsync(new ServerMessage.FloorIdle("!a:hs", "released", null));
        await stream.Messages.NextOfTypeAsync<ServerMessage, ServerMessage.FloorIdle>();

        string expected = "subscribed floor.taken " + string.Concat(Enumerable.Range(0, 50).Select(i => $"f{i} ")) + "floor.idle ";
        Assert.Equal(expected, seen.ToString());
        Assert.False(stream.Frames.TryRead(out _)); // not queued twice
    }

    private sealed class OrderRecorder : IStreamObserver
    {
        private readonly System.Text.StringBuilder _log = new();
        public void OnMessage(ServerMessage message) { lock (_log) _log.Append(message.Type).Append(' '); }
        public void OnFrame(ReceivedFrame frame) { lock (_log) _log.Append('f').Append(frame.Seq).Append(' '); }
        public override string ToString() { lock (_log) return _log.ToString(); }
    }

    [Fact]
    public async Task Subscribe_fails_fast_when_the_server_answers_error()
    {
        await using var server = new LoopbackServer();
        await using var stream = Open(server);
        var subscribing = stream.SubscribeAsync(["!a:hs"]);
        var peer = await server.AcceptAsync();
        await peer.ReceiveControlAsync<ClientMessage.Subscribe>();
        await peer.SendAsync(new ServerMessage.StreamError("M_FORBIDDEN", "not a member", null));
        var e = await Assert.ThrowsAsync<WalkieStreamException>(() => subscribing.WaitAsync(LoopbackServer.Patience));
        Assert.Contains("M_FORBIDDEN", e.Message);
    }
}

/// <summary>One press of the button against the scripted server: request, queue, grant, burst, release or revocation.</summary>
public class PushToTalkTests
{
    private const string Room = "!ops:hs";

    private static short[] Tone(int frames) => AudioSignal.Sine(frames * OpusVoice.FrameSamples, 300, 6000);

    private static async Task<(WalkieStream, ServerPeer)> SubscribedAsync(LoopbackServer server, Func<WalkieStream, Task<TalkOutcome>> talk, Action<Task<TalkOutcome>> started)
    {
        var stream = new WalkieStream(new Uri("http://hs.test"), "tok", new WalkieStreamOptions { Connector = server.Connector, CloseTimeout = TimeSpan.FromMilliseconds(300) });
        started(talk(stream));
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { [Room] = 5 });
        return (stream, peer);
    }

    [Fact]
    public async Task Queued_then_granted_the_burst_goes_out_with_the_epoch_and_channel_then_the_floor_is_released()
    {
        await using var server = new LoopbackServer();
        var seen = new List<ServerMessage>();
        Task<TalkOutcome> talking = null!;
        var (stream, peer) = await SubscribedAsync(server,
            s => new PushToTalk(s).TalkAsync(Room, PcmSource.FromSamples(Tone(15)), new TalkOptions { OnMessage = m => { lock (seen) seen.Add(m); } }),
            t => talking = t);
        await using var _ = stream;

        Assert.Equal(new ClientMessage.FloorRequest(Room, FloorPriority.Normal), await peer.ReceiveControlAsync<ClientMessage.FloorRequest>());
        await peer.SendAsync(new ServerMessage.FloorTaken(Room, new DeviceRef("@a:hs", "A"), 30));
        await peer.SendAsync(new ServerMessage.FloorQueued(Room, 1));
        await peer.SendAsync(new ServerMessage.FloorGranted(Room, 31, DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds()));

        var frames = new List<Received.Frame>();
        for (int i = 0; i < 15; i++) frames.Add(await peer.ReceiveFrameAsync());
        Assert.Equal(new ClientMessage.FloorRelease(Room, 31), await peer.ReceiveControlAsync<ClientMessage.FloorRelease>());
        var outcome = Assert.IsType<TalkOutcome.Talked>(await talking.WaitAsync(LoopbackServer.Patience));

        Assert.All(frames, f => Assert.Equal((5, 31u), (f.Header.Channel, f.Header.Epoch)));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (uint)i), frames.Select(f => f.Header.Seq));
        Assert.Null(outcome.RevokedReason);
        Assert.Equal((15, TalkEnd.SourceEnded), (outcome.Result.Frames, outcome.Result.End));
        lock (seen) Assert.Contains(new ServerMessage.FloorQueued(Room, 1), seen);
    }

    [Fact]
    public async Task A_revocation_stops_the_burst_and_nothing_is_released()
    {
        await using var server = new LoopbackServer();
        Task<TalkOutcome> talking = null!;
        var (stream, peer) = await SubscribedAsync(server,
            s => new PushToTalk(s).TalkAsync(Room, PcmSource.FromSamples(Tone(500))), t => talking = t);
        await using var _ = stream;

        await peer.ReceiveControlAsync<ClientMessage.FloorRequest>();
        await peer.SendAsync(new ServerMessage.FloorGranted(Room, 8, DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds()));
        for (int i = 0; i < 5; i++) await peer.ReceiveFrameAsync();
        await peer.SendAsync(new ServerMessage.FloorRevoked(Room, "preempted", null));

        var outcome = Assert.IsType<TalkOutcome.Talked>(await talking.WaitAsync(LoopbackServer.Patience));
        Assert.Equal("preempted", outcome.RevokedReason);
        Assert.Equal(TalkEnd.Stopped, outcome.Result.End);
        Assert.InRange(outcome.Result.Frames, 5, 100); // stopped within a couple of frame times, far from 500
        for (int i = 5; i < outcome.Result.Frames; i++)
            await peer.ReceiveFrameAsync();
        await stream.CloseAsync();
        Assert.IsType<Received.Close>(await peer.ReceiveAsync()); // the close, not a floor.release
    }

    [Fact]
    public async Task Denied_and_stream_errors_are_outcomes_and_giving_up_in_the_queue_leaves_it()
    {
        await using var server = new LoopbackServer();
        Task<TalkOutcome> talking = null!;
        var (stream, peer) = await SubscribedAsync(server, s => new PushToTalk(s).TalkAsync(Room, PcmSource.FromSamples(Tone(5))), t => talking = t);
        await using var _ = stream;
        await peer.ReceiveControlAsync<ClientMessage.FloorRequest>();
        await peer.SendAsync(new ServerMessage.FloorDenied(Room, "ORG.MATRIX.MSC4002_FLOOR_TAKEN", "taken", new DeviceRef("@a:hs", "A")));
        var denied = Assert.IsType<TalkOutcome.Denied>(await talking.WaitAsync(LoopbackServer.Patience));
        Assert.Equal("taken", denied.Message.Reason);

        using var letGo = new CancellationTokenSource();
        var queued = new PushToTalk(stream).TalkAsync(Room, PcmSource.FromSamples(Tone(5)), stop: letGo.Token);
        await peer.ReceiveControlAsync<ClientMessage.Subscribe>();
        await peer.SendAsync(new ServerMessage.Subscribed(new Dictionary<string, ushort> { [Room] = 5 }));
        await peer.ReceiveControlAsync<ClientMessage.FloorRequest>();
        await peer.SendAsync(new ServerMessage.FloorQueued(Room, 2));
        await Task.Delay(200);
        letGo.Cancel();
        Assert.Equal(new ClientMessage.FloorRelease(Room, 0), await peer.ReceiveControlAsync<ClientMessage.FloorRelease>());
        Assert.Equal(new TalkOutcome.NotGranted(2, TimedOut: false), await queued.WaitAsync(LoopbackServer.Patience));
    }

    private const string NotEncrypted = """{"errcode":"M_NOT_FOUND","error":"Event not found."}""";

    [Fact]
    public async Task The_cli_talks_a_wav_file_through_the_stream_and_exits_0()
    {
        using var dir = new TempDirectory();
        var speech = SpeechSample.Get("Short check. Over.");
        await using var server = new LoopbackServer();
        Cli.SessionStore.Save(dir.File("cfg/session.json"), new MatrixCredentials(new Uri("http://hs.test"), "@me:hs", "DEV", "tok"));

        var http = new FakeHttpHandler().Answer(System.Net.HttpStatusCode.NotFound, NotEncrypted); // the CLI checks first
        var cli = CommandLineTests.Cli(dir, http, server.Connector, "talk", "--room", Room, "--wav", speech.WavPath);
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { [Room] = 1 });
        await peer.ReceiveControlAsync<ClientMessage.FloorRequest>();
        await peer.SendAsync(new ServerMessage.FloorGranted(Room, 3, DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds()));
        int expected = (speech.Pcm.Length + 959) / 960;
        for (int i = 0; i < expected; i++)
            Assert.Equal((uint)i, (await peer.ReceiveFrameAsync()).Header.Seq);
        await peer.ReceiveControlAsync<ClientMessage.FloorRelease>();
        Assert.IsType<Received.Close>(await peer.ReceiveAsync());
        await peer.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        var (code, output, error) = await cli.WaitAsync(LoopbackServer.Patience);
        Assert.True(code == 0, error);
        Assert.Contains($"Sent {expected} frames", output);
        Assert.Contains("Floor granted: epoch 3", output);
    }

    [Fact]
    public async Task The_cli_listens_and_writes_each_burst_as_a_wav_with_gaps_concealed()
    {
        using var dir = new TempDirectory();
        var speech = SpeechSample.Get("Short check. Over.");
        List<byte[]> packets;
        using (var encoder = new OpusVoiceEncoder()) packets = encoder.EncodeAll(speech.Pcm);
        await using var server = new LoopbackServer();
        Cli.SessionStore.Save(dir.File("cfg/session.json"), new MatrixCredentials(new Uri("http://hs.test"), "@me:hs", "DEV", "tok"));
        var http = new FakeHttpHandler()
            .Answer(System.Net.HttpStatusCode.NotFound, NotEncrypted) // m.room.encryption: none, so the CLI may listen
            .Answer(System.Net.HttpStatusCode.OK, """{"device_id":"DEV","expires_ts":null}""");

        var cli = CommandLineTests.Cli(dir, http, server.Connector, "listen", "--room", Room, "--out", dir.File("out"), "--seconds", "2");
        var peer = await server.AcceptAsync();
        await peer.AcceptSubscribeAsync(new Dictionary<string, ushort> { [Room] = 6 });
        await peer.SendAsync(new ServerMessage.FloorTaken(Room, new DeviceRef("@a:hs", "A"), 12));
        for (int seq = 0; seq < packets.Count; seq++)
            if (seq != 10) // one frame lost on the way
                await peer.SendFrameAsync(6, 12, (uint)seq, packets[seq]);
        await peer.SendAsync(new ServerMessage.FloorIdle(Room, "released", null));
        Assert.IsType<Received.Close>(await peer.ReceiveAsync()); // --seconds 2 ran out
        await peer.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        var (code, output, error) = await cli.WaitAsync(LoopbackServer.Patience);
        Assert.True(code == 0, error + output);
        Assert.Equal("", error); // consent is live: no warning
        Assert.Contains("@a:hs (A) holds the floor (epoch 12)", output);
        Assert.True(output.Contains("Wrote 1 burst(s)."), output);
        string wav = Assert.Single(Directory.GetFiles(dir.File("out"), "*.wav"));
        Assert.StartsWith("_ops_hs-e12-", Path.GetFileName(wav));
        short[] heard = WavFile.Read(wav);
        Assert.Equal(packets.Count * 960, heard.Length);
        Assert.Equal(2, http.Requests.Count);
        Assert.Contains("/state/m.room.encryption", http.Requests[0].PathAndQuery);
        Assert.Contains("/state/org.matrix.msc4002.member/_%40me%3Ahs_DEV", http.Requests[1].PathAndQuery);
    }
}
