using WalkieTalkie.Protocol;
using WalkieTalkie.Audio.Tests;
using WalkieTalkie.Client.Listen;
using WalkieTalkie.Client.Live;
using WalkieTalkie.Client.Talk;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Stream;

/// <summary>
/// Real speech, real time: espeak-ng speech is talked through the project's client library (Concentus Opus, 20 ms
/// frames paced in real time) and heard by another device's Listener, which decodes it.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_speech_goes_through_the_client_library(IntegrationFixture fixture)
{
    [Fact]
    public async Task the_listener_decodes_the_talkers_speech_with_its_duration_and_envelope()
    {
        var host = fixture.Server;
        var alice = await MatrixTestClient.RegisterAsync(host);
        var bob = await MatrixTestClient.RegisterAsync(host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, end_of_media_ms = 2000 }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);
        var speech = SpeechSample.Get("Testing one two three. Walkie talkie over.");

        await using var talkerStream = new WalkieStream(host.BaseAddress, alice.AccessToken);
        await using var listenerStream = new WalkieStream(host.BaseAddress, bob.AccessToken);
        using var listener = new Listener();
        listenerStream.AddObserver(listener);
        await talkerStream.OpenAsync();
        await listenerStream.OpenAsync();
        await listenerStream.SubscribeAsync([room.Id]);

        var outcome = await new PushToTalk(talkerStream).TalkAsync(room.Id, PcmSource.FromSamples(speech.Pcm));
        var talked = Assert.IsType<TalkOutcome.Talked>(outcome);
        Assert.Null(talked.RevokedReason);

        var started = await listener.Events.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var burst = started.Burst;
        await burst.Completion.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(talked.Result.Frames, burst.FramesReceived);
        Assert.Equal(0, burst.FramesConcealed);

        var heard = burst.GetPcm();
        // Frames carry whole 20 ms packets: the burst is the speech rounded up to a frame, minus nothing.
        Assert.InRange(heard.Length - speech.Pcm.Length, 0, 960);
        var source = AudioSignal.RmsEnvelope(speech.Pcm);
        var decoded = AudioSignal.RmsEnvelope(heard.AsSpan(0, speech.Pcm.Length));
        // The decoder's 6.5 ms look-ahead shifts the envelope by a fraction of a window: still closely correlated.
        Assert.True(AudioSignal.Pearson(source, decoded) > 0.9, $"envelope correlation {AudioSignal.Pearson(source, decoded):F3}");
    }

    [Fact]
    public async Task audio_frames_keep_the_floor_past_end_of_media_and_silence_loses_it()
    {
        var host = fixture.Server;
        var alice = await MatrixTestClient.RegisterAsync(host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, end_of_media_ms = 600 });
        await room.ConsentAsync(alice);
        var speech = SpeechSample.Get();

        await using var stream = new WalkieStream(host.BaseAddress, alice.AccessToken);
        await stream.OpenAsync();
        await stream.SubscribeAsync([room.Id]);
        // Talking for ~2 s, far past the 600 ms end-of-media window, keeps the floor because frames keep arriving.
        var pcm = speech.Pcm.AsMemory(0, Math.Min(speech.Pcm.Length, 48_000 * 2));
        using var stop = new CancellationTokenSource();
        var outcome = await new PushToTalk(stream).TalkAsync(room.Id, PcmSource.FromSamples(pcm), new TalkOptions(), stop.Token);
        Assert.Null(Assert.IsType<TalkOutcome.Talked>(outcome).RevokedReason);

        // Take the floor over HTTP and stay silent: end of media takes it back.
        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        var (floor, _) = await WalkieRoom.EventuallyAsync(() => room.FloorAsync(alice), f => f["state"]!.GetValue<string>() == "idle",
            TimeSpan.FromSeconds(10), "end of media");
        Assert.Equal(epoch, floor["epoch"]!.GetValue<long>());
    }

    [Fact]
    public async Task a_listener_on_another_server_process_hears_the_talker()
    {
        var connection = await fixture.CreateDatabaseAsync();
        await using var first = await WalkieHost.StartAsync(connection);
        await using var second = await WalkieHost.StartAsync(connection);
        var alice = await MatrixTestClient.RegisterAsync(first);
        var bob = await MatrixTestClient.RegisterAsync(first);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);

        // Speech is made and encoded before the grant: on a loaded machine espeak-ng may take longer than end of media.
        using var encoder = new WalkieTalkie.Audio.OpusVoiceEncoder();
        var packets = encoder.EncodeAll(SpeechSample.Get().Pcm).Take(20).ToList();
        await using var talker = await LiveSocket.OpenAsync(first, alice);
        await using var listener = await LiveSocket.OpenAsync(second, bob);
        await talker.SubscribeAsync(room.Id);
        var channel = (await listener.SubscribeAsync(room.Id))[room.Id];
        await talker.SendAsync(new ClientMessage.FloorRequest(room.Id));
        var epoch = (await talker.NextAsync(ControlTypes.FloorGranted))["epoch"]!.GetValue<long>();
        Assert.Equal(epoch, (await listener.NextAsync(ControlTypes.FloorTaken))["epoch"]!.GetValue<long>());

        for (var seq = 0; seq < packets.Count; seq++) await talker.SendFrameAsync(room.Id, epoch, (uint)seq, packets[seq]);
        var heard = await listener.FramesAsync(packets.Count, TimeSpan.FromSeconds(10));
        Assert.Equal(packets, heard.Select(f => f.Payload));
        Assert.All(heard, f => Assert.Equal(channel, f.Header.Channel));

        await talker.SendAsync(new ClientMessage.FloorRelease(room.Id, epoch));
        Assert.Equal("released", (await listener.NextAsync(ControlTypes.FloorIdle))["reason"]!.GetValue<string>());
    }
}
