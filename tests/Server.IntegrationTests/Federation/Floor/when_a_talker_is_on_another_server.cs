using System.Net.WebSockets;
using WalkieTalkie.Protocol;
using WalkieTalkie.Audio;
using WalkieTalkie.Audio.Tests;
using WalkieTalkie.Server.Federation.Transport;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.IntegrationTests.Walkie;
using WalkieTalkie.Server.IntegrationTests.Walkie.Stream;
using WalkieTalkie.Server.Walkie.Stream.Servers;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Floor;

/// <summary>
/// Live audio between homeservers: hs1 (the room's floor host) and hs2 send each other a burst's frames once per
/// server over a signed server-to-server stream; each server fans out to its own devices.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_a_talker_is_on_another_server(IntegrationFixture fixture)
{
    static readonly Lazy<List<byte[]>> Speech = new(() =>
    {
        using var encoder = new OpusVoiceEncoder();
        return encoder.EncodeAll(SpeechSample.Get().Pcm);
    });

    static async Task<long> GrantedAsync(LiveSocket socket, string roomId)
    {
        await socket.SendAsync(new ClientMessage.FloorRequest(roomId, FloorPriority.Normal));
        return (await socket.NextAsync(ControlTypes.FloorGranted, TimeSpan.FromSeconds(20)))["epoch"]!.GetValue<long>();
    }

    static async Task SendBurstAsync(LiveSocket talker, string roomId, long epoch, IReadOnlyList<byte[]> packets, uint firstSeq = 0)
    {
        for (var i = 0; i < packets.Count; i++) await talker.SendFrameAsync(roomId, epoch, firstSeq + (uint)i, packets[i]);
    }

    static void HeardInOrder(List<(AudioFrameHeader Header, byte[] Payload, long At)> heard, ushort channel, long epoch, IReadOnlyList<byte[]> packets)
    {
        Assert.Equal(packets.Count, heard.Count);
        Assert.All(heard, f => Assert.Equal((channel, (uint)epoch), (f.Header.Channel, f.Header.Epoch)));
        Assert.Equal(Enumerable.Range(0, packets.Count).Select(i => (uint)i), heard.Select(f => f.Header.Seq));
        Assert.Equal(packets, heard.Select(f => f.Payload)); // untouched: an E2EE payload stays opaque end to end
    }

    [Fact]
    public async Task listeners_on_the_floor_host_and_on_the_talkers_server_hear_every_frame_in_order_once()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true }, hs1Users: 2, hs2Users: 2);
        var packets = Speech.Value.Take(60).ToList();
        await using var talker = await LiveSocket.OpenAsync(pair.Hs2, twos[0]);
        await using var neighbour = await LiveSocket.OpenAsync(pair.Hs2, twos[1]);
        await using var alice = await LiveSocket.OpenAsync(pair.Hs1, ones[0]);
        await using var carol = await LiveSocket.OpenAsync(pair.Hs1, ones[1]);
        await talker.SubscribeAsync(room.Id);
        var neighbourChannel = (await neighbour.SubscribeAsync(room.Id))[room.Id];
        var aliceChannel = (await alice.SubscribeAsync(room.Id))[room.Id];
        var carolChannel = (await carol.SubscribeAsync(room.Id))[room.Id];

        var epoch = await GrantedAsync(talker, room.Id);
        Assert.Equal(epoch, (await alice.NextAsync(ControlTypes.FloorTaken))["epoch"]!.GetValue<long>());
        await SendBurstAsync(talker, room.Id, epoch, packets);

        var atAlice = await alice.FramesAsync(packets.Count, TimeSpan.FromSeconds(15));
        var hub2 = pair.Hs2.Services.GetRequiredService<WalkieTalkie.Server.Walkie.Stream.StreamHub>();
        Assert.True(atAlice.Count == packets.Count, $"alice heard {atAlice.Count}: hs2 sent {Audio(pair.Hs2).FramesSent} hs1 recv {Audio(pair.Hs1).FramesReceived} refused {Audio(pair.Hs1).FramesRefused} hs2 relayed {hub2.FramesRelayed} dropped {string.Join(",", Enum.GetValues<WalkieTalkie.Server.Walkie.Stream.FrameDropReason>().Select(r => $"{r}={hub2.FramesDroppedFor(r)}"))} checks {hub2.FloorChecks} neighbour {neighbour.PendingFrames}");
        HeardInOrder(atAlice, aliceChannel, epoch, packets);
        HeardInOrder(await carol.FramesAsync(packets.Count, TimeSpan.FromSeconds(15)), carolChannel, epoch, packets);
        HeardInOrder(await neighbour.FramesAsync(packets.Count, TimeSpan.FromSeconds(15)), neighbourChannel, epoch, packets);
        // Nothing twice: hs1 must not send hs2's frames back to it, and hs2 sent each frame to hs1 once for both listeners.
        Assert.Empty(await neighbour.FramesAsync(1, TimeSpan.FromMilliseconds(500)));
        Assert.Empty(await alice.FramesAsync(1, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(packets.Count, Audio(pair.Hs2).FramesSent);
        Assert.Equal(packets.Count, Audio(pair.Hs1).FramesReceived);
        Assert.Equal(0, Audio(pair.Hs1).FramesSent);
    }

    [Fact]
    public async Task a_talker_on_the_floor_host_is_heard_on_the_other_server_and_a_stale_epoch_is_not()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true });
        var packets = Speech.Value.Take(40).ToList();
        await using var talker = await LiveSocket.OpenAsync(pair.Hs1, ones[0]);
        await using var bob = await LiveSocket.OpenAsync(pair.Hs2, twos[0]);
        await talker.SubscribeAsync(room.Id);
        var bobChannel = (await bob.SubscribeAsync(room.Id))[room.Id];

        var first = await GrantedAsync(talker, room.Id);
        await bob.NextAsync(ControlTypes.FloorTaken, TimeSpan.FromSeconds(20));
        await SendBurstAsync(talker, room.Id, first, packets);
        HeardInOrder(await bob.FramesAsync(packets.Count, TimeSpan.FromSeconds(15)), bobChannel, first, packets);

        await talker.SendAsync(new ClientMessage.FloorRelease(room.Id, first));
        await bob.NextAsync(ControlTypes.FloorIdle, TimeSpan.FromSeconds(20));
        var second = await GrantedAsync(talker, room.Id);
        Assert.True(second > first);
        await bob.NextAsync(ControlTypes.FloorTaken, TimeSpan.FromSeconds(20));

        // A frame of the ended grant, relayed by the host as if it were current, is fenced by hs2's own relay.
        using var host = await ServerLinkAsync(from: pair.Hs1, to: pair.Hs2);
        await host.SendAsync(ServerAudio.Encode(room.Id, first, Frame(bobChannel, first, 500, packets[0])), WebSocketMessageType.Binary, true, default);
        await talker.SendFrameAsync(room.Id, second, 0, packets[1]);
        var heard = await bob.FramesAsync(2, TimeSpan.FromSeconds(3));
        Assert.Equal([(0u, (uint)second)], heard.Select(f => (f.Header.Seq, f.Header.Epoch)));
    }

    [Fact]
    public async Task the_floor_host_takes_frames_only_from_the_holders_server_at_the_current_epoch()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true });
        var packets = Speech.Value.Take(3).ToList();
        await using var talker = await LiveSocket.OpenAsync(pair.Hs2, twos[0]);
        await using var alice = await LiveSocket.OpenAsync(pair.Hs1, ones[0]);
        await talker.SubscribeAsync(room.Id);
        var channel = (await alice.SubscribeAsync(room.Id))[room.Id];
        var epoch = await GrantedAsync(talker, room.Id);
        await alice.NextAsync(ControlTypes.FloorTaken);

        // hs2 (the holder's server) speaking for itself over its own signed link: a stale epoch is refused, the current one passes.
        using var link = await ServerLinkAsync(from: pair.Hs2, to: pair.Hs1);
        await link.SendAsync(ServerAudio.Encode(room.Id, epoch - 1, Frame(7, epoch - 1, 0, packets[0])), WebSocketMessageType.Binary, true, default);
        await link.SendAsync(ServerAudio.Encode(room.Id, epoch, Frame(7, epoch, 1, packets[1])), WebSocketMessageType.Binary, true, default);
        var heard = await alice.FramesAsync(2, TimeSpan.FromSeconds(3));
        Assert.Equal([(channel, 1u, (uint)epoch)], heard.Select(f => (f.Header.Channel, f.Header.Seq, f.Header.Epoch)));
        Assert.Equal(1, Audio(pair.Hs1).FramesRefused);

        // Once the floor is alice's (on hs1), hs2 may not speak into the room at all.
        await talker.SendAsync(new ClientMessage.FloorRelease(room.Id, epoch));
        await alice.NextAsync(ControlTypes.FloorIdle);
        await using var aliceTalks = await LiveSocket.OpenAsync(pair.Hs1, ones[0]);
        await aliceTalks.SubscribeAsync(room.Id);
        var aliceEpoch = await GrantedAsync(aliceTalks, room.Id);
        await link.SendAsync(ServerAudio.Encode(room.Id, aliceEpoch, Frame(7, aliceEpoch, 2, packets[2])), WebSocketMessageType.Binary, true, default);
        Assert.Empty(await alice.FramesAsync(1, TimeSpan.FromSeconds(1)));
        Assert.Equal(2, Audio(pair.Hs1).FramesRefused);
    }

    [Fact]
    public async Task a_remote_talkers_burst_is_recorded_once_by_the_talkers_server_and_both_servers_show_that_one()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true, recording = "server" });
        var packets = Speech.Value.Take(75).ToList(); // 1.5 s of speech
        await using var talker = await LiveSocket.OpenAsync(pair.Hs2, twos[0]);
        await using var alice = await LiveSocket.OpenAsync(pair.Hs1, ones[0]);
        await talker.SubscribeAsync(room.Id);
        await alice.SubscribeAsync(room.Id);

        var epoch = await GrantedAsync(talker, room.Id);
        await SendBurstAsync(talker, room.Id, epoch, packets);
        Assert.Equal(packets.Count, (await alice.FramesAsync(packets.Count, TimeSpan.FromSeconds(15))).Count);
        await talker.SendAsync(new ClientMessage.FloorRelease(room.Id, epoch));

        var onHs1 = await Eventually.GetAsync(() => VoiceMessagesAsync(ones[0], room.Id, epoch), m => m.Count > 0);
        Assert.True(onHs1.Count > 0, "the burst's voice message never reached hs1");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a second recording (by the host) would have been posted by now
        onHs1 = await VoiceMessagesAsync(ones[0], room.Id, epoch);
        var onHs2 = await VoiceMessagesAsync(twos[0], room.Id, epoch);
        var recording = Assert.Single(onHs1);
        Assert.Equal(recording["event_id"]!.GetValue<string>(), Assert.Single(onHs2)["event_id"]!.GetValue<string>());
        Assert.EndsWith(":" + FederationPair.Hs2Name, recording["sender"]!.GetValue<string>()); // posted by the talker's server
    }

    /// <summary>The room's m.audio messages of one burst as <paramref name="reader"/>'s server shows them (newest 200).</summary>
    static async Task<List<JsonObject>> VoiceMessagesAsync(MatrixTestClient reader, string roomId, long epoch)
    {
        var page = await reader.GetJsonAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/messages?dir=b&limit=200");
        return page["chunk"]!.AsArray().OfType<JsonObject>()
            .Where(e => e["content"]?["msgtype"]?.GetValue<string>() == "m.audio"
                && e["content"]?["org.matrix.msc4002.burst"]?["epoch"]?.GetValue<long>() == epoch)
            .ToList();
    }

    [Fact]
    public async Task an_unsigned_audio_link_is_refused_with_401()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        using var socket = new ClientWebSocket();
        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(LinkUri(pair.Hs1), CancellationToken.None));
        Assert.Contains("401", error.Message);
    }

    static ServerAudio Audio(WalkieHost host) => host.Services.GetRequiredService<ServerAudio>();

    static byte[] Frame(ushort channel, long epoch, uint seq, byte[] payload)
    {
        var frame = new byte[AudioFrame.HeaderSize + payload.Length];
        AudioFrame.Write(frame, new AudioFrameHeader(channel, (uint)epoch, seq), payload);
        return frame;
    }

    static Uri LinkUri(WalkieHost to) => new UriBuilder(to.BaseAddress) { Scheme = "ws", Path = ServerAudio.Path }.Uri;

    /// <summary>A server-to-server audio link opened by hand, signed with <paramref name="from"/>'s key as its servers do.</summary>
    static async Task<ClientWebSocket> ServerLinkAsync(WalkieHost from, WalkieHost to)
    {
        var socket = new ClientWebSocket();
        var header = RequestSigning.Sign("GET", ServerAudio.Path, SignedRequest.ServerName(from), SignedRequest.ServerName(to), null,
            await SignedRequest.KeyOf(from));
        socket.Options.SetRequestHeader("Authorization", header.ToString());
        await socket.ConnectAsync(LinkUri(to), CancellationToken.None);
        return socket;
    }
}
