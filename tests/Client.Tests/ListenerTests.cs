using WalkieTalkie.Client.Listen;
using WalkieTalkie.Client.Matrix;
using WalkieTalkie.Client.Live;

namespace WalkieTalkie.Client.Tests;

/// <summary>Bursts from real speech: espeak-ng says a sentence, Opus encodes it, frames arrive with holes in them.</summary>
public class ListenerTests
{
    private const string Room = "!walkie:hs";
    private static readonly DateTimeOffset T0 = new(2025, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static List<byte[]> Packets(SpeechSample speech)
    {
        using var encoder = new OpusVoiceEncoder();
        return encoder.EncodeAll(speech.Pcm);
    }

    private static ReceivedFrame Frame(string room, uint epoch, uint seq, byte[] payload) =>
        new(room, 1, epoch, seq, payload, T0 + TimeSpan.FromMilliseconds(20 * seq));

    private static double Correlation(short[] source, short[] heard) =>
        AudioSignal.Pearson(AudioSignal.RmsEnvelope(source), AudioSignal.RmsEnvelope(heard));

    [Fact]
    public void Missing_frames_are_concealed_so_the_burst_keeps_its_length_and_still_sounds_like_the_speech()
    {
        var speech = SpeechSample.Get();
        var packets = Packets(speech);
        var lost = new HashSet<int>(Enumerable.Range(0, packets.Count).Where(i => i % 10 == 3));
        lost.UnionWith(Enumerable.Range(60, 5)); // and a 100 ms hole
        lost.Remove(packets.Count - 1); // a lost last frame is unknowable: nothing after it shows the gap
        using var listener = new Listener();

        var dispositions = new List<FrameDisposition>();
        for (int seq = 0; seq < packets.Count; seq++)
            if (!lost.Contains(seq))
                dispositions.Add(listener.Accept(Frame(Room, 7, (uint)seq, packets[seq])));
        var burst = Assert.Single(listener.ActiveBursts);
        listener.Observe(new ServerMessage.FloorIdle(Room, "released", null));

        Assert.True(burst.IsComplete);
        Assert.Equal("released", burst.EndReason);
        Assert.Equal(packets.Count - lost.Count, burst.FramesReceived);
        Assert.Equal(lost.Count, burst.FramesConcealed);
        Assert.Equal(packets.Count * OpusVoice.FrameSamples, burst.SampleCount);
        Assert.Contains(FrameDisposition.FilledGap, dispositions);
        var packetsHeard = burst.GetPackets();
        Assert.All(lost, i => Assert.Empty(packetsHeard[i]));
        Assert.Equal(packets[0], packetsHeard[0]);

        double r = Correlation(speech.Pcm, burst.GetPcm());
        Assert.True(r > 0.8, $"with {lost.Count} of {packets.Count} frames concealed the envelope correlates {r:F3}");
        var loud = AudioSignal.RmsEnvelope(burst.GetPcm()).Max();
        Assert.True(loud > 1000, $"the burst is speech, not silence (loudest 20 ms RMS {loud:F0})");
    }

    [Fact]
    public void Frames_of_two_rooms_interleaved_make_two_bursts_each_decoded_on_its_own()
    {
        var first = SpeechSample.Get();
        var second = SpeechSample.Get("Second room here. Anyone copy? Over and out.");
        var a = Packets(first);
        var b = Packets(second);
        using var listener = new Listener();

        for (int seq = 0; seq < Math.Max(a.Count, b.Count); seq++)
        {
            if (seq < a.Count) listener.Accept(Frame("!a:hs", 4, (uint)seq, a[seq]));
            if (seq < b.Count) listener.Accept(Frame("!b:hs", 9, (uint)seq, b[seq]));
        }
        var bursts = listener.ActiveBursts.ToDictionary(x => x.RoomId);
        listener.EndAll("test");

        Assert.Equal(2, bursts.Count);
        Assert.Equal((4L, a.Count * 960), (bursts["!a:hs"].Epoch, bursts["!a:hs"].SampleCount));
        Assert.Equal((9L, b.Count * 960), (bursts["!b:hs"].Epoch, bursts["!b:hs"].SampleCount));
        Assert.True(Correlation(first.Pcm, bursts["!a:hs"].GetPcm()) > 0.9);
        Assert.True(Correlation(second.Pcm, bursts["!b:hs"].GetPcm()) > 0.9);
        Assert.Equal(0, bursts["!a:hs"].FramesConcealed + bursts["!b:hs"].FramesConcealed);
    }

    [Fact]
    public async Task A_newer_epoch_ends_the_old_burst_and_frames_of_the_old_epoch_are_dropped_after_it()
    {
        var packets = Packets(SpeechSample.Get());
        using var listener = new Listener();

        listener.Accept(Frame(Room, 5, 0, packets[0]));
        listener.Accept(Frame(Room, 5, 1, packets[1]));
        Assert.Equal(FrameDisposition.Appended, listener.Accept(Frame(Room, 6, 0, packets[2])));
        Assert.Equal(FrameDisposition.DroppedStale, listener.Accept(Frame(Room, 5, 2, packets[3])));

        var events = new List<ListenerEvent>();
        while (listener.Events.TryRead(out var e)) events.Add(e);
        Assert.Collection(events,
            e => Assert.Equal((5L, typeof(ListenerEvent.BurstStarted)), (e.Burst.Epoch, e.GetType())),
            e => Assert.Equal((5L, typeof(ListenerEvent.BurstEnded), "superseded"), (e.Burst.Epoch, e.GetType(), e.Burst.EndReason)),
            e => Assert.Equal((6L, typeof(ListenerEvent.BurstStarted)), (e.Burst.Epoch, e.GetType())));
        Assert.Equal(2, events[0].Burst.FramesReceived);
        await events[1].Burst.Completion.WaitAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Floor_messages_end_bursts_a_newer_taken_or_idle()
    {
        var packets = Packets(SpeechSample.Get());
        using var listener = new Listener();
        listener.Accept(Frame("!a:hs", 3, 0, packets[0]));
        listener.Accept(Frame("!b:hs", 8, 0, packets[0]));

        listener.Observe(new ServerMessage.FloorTaken("!a:hs", new DeviceRef("@x:hs", "X"), 3)); // same epoch: still going
        Assert.Equal(2, listener.ActiveBursts.Count);
        listener.Observe(new ServerMessage.FloorTaken("!a:hs", new DeviceRef("@y:hs", "Y"), 4));
        Assert.Equal("!b:hs", Assert.Single(listener.ActiveBursts).RoomId);
        Assert.Equal(FrameDisposition.DroppedStale, listener.Accept(Frame("!a:hs", 3, 1, packets[1])));
        listener.Observe(new ServerMessage.FloorIdle("!b:hs", "end_of_media", null));
        Assert.Empty(listener.ActiveBursts);
    }

    [Fact]
    public void Late_entry_starts_at_the_first_frame_heard_and_late_or_duplicate_frames_are_dropped()
    {
        var packets = Packets(SpeechSample.Get());
        using var listener = new Listener();

        Assert.Equal(FrameDisposition.Appended, listener.Accept(Frame(Room, 2, 37, packets[37])));
        Assert.Equal(FrameDisposition.Appended, listener.Accept(Frame(Room, 2, 38, packets[38])));
        Assert.Equal(FrameDisposition.DroppedLate, listener.Accept(Frame(Room, 2, 38, packets[38])));
        Assert.Equal(FrameDisposition.DroppedLate, listener.Accept(Frame(Room, 2, 20, packets[20])));
        Assert.Equal(FrameDisposition.Resynchronised, listener.Accept(Frame(Room, 2, 200, packets[40])));

        var burst = Assert.Single(listener.ActiveBursts);
        Assert.Equal(37u, burst.FirstSeq);
        Assert.Equal((3, 0, 2), (burst.FramesReceived, burst.FramesConcealed, burst.FramesDropped));
        Assert.Equal(3 * 960, burst.SampleCount);
    }

    [Fact]
    public void An_undecodable_payload_is_concealed_in_its_place()
    {
        var packets = Packets(SpeechSample.Get());
        using var listener = new Listener();
        listener.Accept(Frame(Room, 1, 0, packets[0]));
        // Code 3 with a zero frame count: not an Opus packet (what a wrong E2EE key would also produce).
        Assert.Equal(FrameDisposition.Concealed, listener.Accept(Frame(Room, 1, 1, [0x7B, 0x00])));
        listener.Accept(Frame(Room, 1, 2, packets[2]));

        var burst = Assert.Single(listener.ActiveBursts);
        Assert.Equal((2, 1, 3 * 960), (burst.FramesReceived, burst.FramesConcealed, burst.SampleCount));
    }

    [Fact]
    public void A_silent_burst_ends_after_the_timeout_on_the_clock()
    {
        var packets = Packets(SpeechSample.Get());
        var clock = new VirtualTimeProvider(T0);
        using var listener = new Listener(new ListenerOptions { SilenceTimeout = TimeSpan.FromSeconds(2) }, clock);
        listener.Accept(Frame(Room, 1, 0, packets[0]));

        clock.Advance(TimeSpan.FromMilliseconds(1990));
        Assert.Equal(0, listener.EndSilentBursts());
        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, listener.EndSilentBursts());
        Assert.Empty(listener.ActiveBursts);
    }

    [Fact]
    public async Task A_reader_gets_the_pcm_live_as_frames_arrive_and_a_wav_of_it_reads_back()
    {
        var speech = SpeechSample.Get();
        var packets = Packets(speech);
        using var listener = new Listener();
        listener.Accept(Frame(Room, 1, 0, packets[0]));
        var burst = Assert.Single(listener.ActiveBursts);

        var heard = new List<short>();
        var reading = Task.Run(async () =>
        {
            await foreach (var chunk in burst.ReadPcmAsync())
                heard.AddRange(chunk.ToArray());
        });
        for (int seq = 1; seq < packets.Count; seq++)
        {
            listener.Accept(Frame(Room, 1, (uint)seq, packets[seq]));
            if (seq % 25 == 0) await Task.Delay(1);
        }
        listener.Observe(new ServerMessage.FloorIdle(Room, "released", 1));
        await reading.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(burst.GetPcm(), heard);
        using var dir = new TempDirectory();
        burst.WriteWav(dir.File("burst.wav"));
        Assert.Equal(burst.GetPcm(), WavFile.Read(dir.File("burst.wav")));
        var ogg = OggOpusReader.Read(new MemoryStream(burst.ToOgg()));
        Assert.Equal(packets, ogg.Packets);
    }
}

public class BurstQueueTests
{
    private static ReceivedBurst Burst(string room, long epoch) => new(room, epoch, 0, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Bursts_that_arrive_while_talking_are_handed_out_afterwards_in_arrival_order_across_rooms()
    {
        var queue = new BurstQueue();
        queue.Focus("!a:hs");
        queue.SetTalking(true);
        var order = new[] { Burst("!b:hs", 1), Burst("!a:hs", 5), Burst("!c:hs", 2), Burst("!b:hs", 2), Burst("!a:hs", 6) };
        foreach (var burst in order)
            Assert.Equal(BurstDisposition.Queued, queue.Arrive(burst));
        Assert.Equal((5, 2, 2, 1), (queue.Count, queue.CountFor("!a:hs"), queue.CountFor("!b:hs"), queue.CountFor("!c:hs")));

        Assert.False(queue.TryTakeNext(out _)); // still talking
        queue.SetTalking(false);
        var played = new List<ReceivedBurst>();
        while (queue.TryTakeNext(out var next))
        {
            Assert.False(queue.TryTakeNext(out _)); // one at a time
            played.Add(next!);
            queue.Played(next!);
        }
        Assert.Equal(order, played);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void The_focused_room_plays_live_while_others_and_overlapping_bursts_wait()
    {
        var queue = new BurstQueue();
        queue.Focus("!a:hs");
        var live = Burst("!a:hs", 1);
        var other = Burst("!b:hs", 1);
        var overlapping = Burst("!a:hs", 2);

        Assert.Equal(BurstDisposition.PlayNow, queue.Arrive(live));
        Assert.Same(live, queue.Playing);
        Assert.Equal(BurstDisposition.Queued, queue.Arrive(other));
        Assert.Equal(BurstDisposition.Queued, queue.Arrive(overlapping));

        queue.Played(live);
        Assert.True(queue.TryTakeNext(out var next));
        Assert.Same(other, next);
        queue.Played(other);
        // The focused room has a backlog now: a new burst there waits behind it instead of jumping ahead.
        var later = Burst("!a:hs", 3);
        Assert.Equal(BurstDisposition.Queued, queue.Arrive(later));
        Assert.True(queue.TryTakeNext(out next));
        Assert.Same(overlapping, next);
    }

    [Fact]
    public void Taking_from_one_room_skips_the_others_and_a_full_room_drops_its_oldest()
    {
        var queue = new BurstQueue(maxPerRoom: 2);
        var b1 = Burst("!b:hs", 1);
        queue.Arrive(Burst("!a:hs", 1));
        queue.Arrive(b1);
        queue.Arrive(Burst("!c:hs", 1));
        Assert.True(queue.TryTakeNext(out var fromB, "!b:hs"));
        Assert.Same(b1, fromB);
        queue.Played(fromB!);

        var c2 = Burst("!c:hs", 2);
        var c3 = Burst("!c:hs", 3);
        queue.Arrive(c2);
        queue.Arrive(c3);
        Assert.Equal(1, queue.Dropped);
        Assert.Equal([c2, c3], queue.Pending("!c:hs"));
    }
}
