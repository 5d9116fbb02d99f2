using WalkieTalkie.Client.Live;
using WalkieTalkie.Client.Talk;

namespace WalkieTalkie.Client.Tests;

/// <summary>A sink that records every frame with the virtual time it was sent at, and can make sends take time.</summary>
internal sealed class RecordingSink(VirtualTimeProvider? clock = null) : IAudioFrameSink
{
    public List<(string Room, uint Epoch, uint Seq, byte[] Payload, TimeSpan At)> Frames { get; } = [];

    /// <summary>Virtual time each send takes, by seq (encode + socket); the Talker must not let it accumulate.</summary>
    public Func<uint, TimeSpan> SendCost { get; init; } = _ => TimeSpan.Zero;

    public Action<uint>? OnSend { get; init; }

    public ValueTask SendAudioAsync(string roomId, uint epoch, uint seq, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Frames.Add((roomId, epoch, seq, payload.ToArray(), clock?.Elapsed ?? TimeSpan.Zero));
        clock?.Advance(SendCost(seq));
        OnSend?.Invoke(seq);
        return ValueTask.CompletedTask;
    }
}

public class TalkerTests
{
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(20);

    private static short[] Tone(int frames) => AudioSignal.Sine(frames * OpusVoice.FrameSamples, 440, 8000);

    [Fact]
    public async Task Ten_seconds_of_audio_go_out_on_20_ms_slots_without_drift_although_every_send_takes_time()
    {
        var clock = new VirtualTimeProvider();
        // 3..17 ms per send: a talker that waits 20 ms after each send would be 500 × ~10 ms = 5 s late at the end.
        var sink = new RecordingSink(clock) { SendCost = seq => TimeSpan.FromMilliseconds(3 + seq * 7 % 15) };
        var talker = new Talker(sink, time: clock);

        var result = await talker.TalkAsync("!room:hs", 17, PcmSource.FromSamples(Tone(500)));

        Assert.Equal(500, result.Frames);
        Assert.Equal(TalkEnd.SourceEnded, result.End);
        Assert.Equal(TimeSpan.FromSeconds(10), result.Duration);
        for (int n = 0; n < sink.Frames.Count; n++)
            Assert.True(sink.Frames[n].At == Frame * n, $"frame {n} went out at {sink.Frames[n].At.TotalMilliseconds} ms, its slot is {n * 20} ms");
        Assert.Equal(TimeSpan.Zero, result.MaxLateness);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (uint)i), sink.Frames.Select(f => f.Seq));
        Assert.All(sink.Frames, f => Assert.Equal((17u, "!room:hs"), (f.Epoch, f.Room)));
    }

    [Fact]
    public async Task A_stalled_send_makes_the_next_frames_catch_up_and_the_timeline_stays_put()
    {
        var clock = new VirtualTimeProvider();
        var sink = new RecordingSink(clock) { SendCost = seq => seq == 100 ? TimeSpan.FromMilliseconds(110) : TimeSpan.FromMilliseconds(2) };
        var result = await new Talker(sink, time: clock).TalkAsync("!r:hs", 1, PcmSource.FromSamples(Tone(500)));

        // Frame 101's slot is 2020 ms but the send of 100 returned at 2110 ms: 101..105 go out back to back, late.
        Assert.Equal(TimeSpan.FromMilliseconds(2110), sink.Frames[101].At);
        Assert.Equal(TimeSpan.FromMilliseconds(90), result.MaxLateness);
        // From 106 on (slot 2120 ms) every frame is on its slot again; the last one at 9980 ms, not 10070 ms.
        for (int n = 106; n < 500; n++)
            Assert.Equal(Frame * n, sink.Frames[n].At);
        Assert.Equal(TimeSpan.FromMilliseconds(9980), sink.Frames[^1].At);
    }

    [Fact]
    public async Task Seq_restarts_at_0_for_every_burst_and_payloads_are_the_encoded_speech()
    {
        var speech = SpeechSample.Get();
        var clock = new VirtualTimeProvider();
        var sink = new RecordingSink(clock);
        var talker = new Talker(sink, time: clock);

        await talker.TalkAsync("!r:hs", 3, PcmSource.FromSamples(speech.Pcm));
        int first = sink.Frames.Count;
        await talker.TalkAsync("!r:hs", 4, PcmSource.FromSamples(speech.Pcm.AsMemory(0, 48000)));

        int expected = (speech.Pcm.Length + OpusVoice.FrameSamples - 1) / OpusVoice.FrameSamples;
        Assert.Equal(expected, first);
        Assert.Equal(0u, sink.Frames[first].Seq);
        Assert.Equal(4u, sink.Frames[first].Epoch);
        Assert.Equal(50, sink.Frames.Count - first);

        using var decoder = new OpusVoiceDecoder();
        short[] decoded = decoder.DecodeAll(sink.Frames.Take(first).Select(f => (ReadOnlyMemory<byte>)f.Payload), out int concealed);
        Assert.Equal(0, concealed);
        double r = AudioSignal.Pearson(AudioSignal.RmsEnvelope(speech.Pcm), AudioSignal.RmsEnvelope(decoded));
        Assert.True(r > 0.9, $"decoded burst envelope correlates {r:F3} with the speech");
    }

    [Fact]
    public async Task Stop_ends_the_burst_early_without_an_exception()
    {
        var clock = new VirtualTimeProvider();
        using var revoked = new CancellationTokenSource();
        var sink = new RecordingSink(clock) { OnSend = seq => { if (seq == 99) revoked.Cancel(); } };

        var result = await new Talker(sink, time: clock).TalkAsync("!r:hs", 9, PcmSource.FromSamples(Tone(500)), revoked.Token);

        Assert.Equal(TalkEnd.Stopped, result.End);
        Assert.Equal(100, result.Frames);
        Assert.Equal(100, sink.Frames.Count);
    }

    [Fact]
    public async Task Cancellation_aborts_with_an_exception()
    {
        var clock = new VirtualTimeProvider();
        using var abort = new CancellationTokenSource();
        var sink = new RecordingSink(clock) { OnSend = seq => { if (seq == 10) abort.Cancel(); } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new Talker(sink, time: clock).TalkAsync("!r:hs", 9, PcmSource.FromSamples(Tone(50)), cancellationToken: abort.Token));
    }

    [Fact]
    public async Task A_partial_last_frame_is_padded_and_raw_stdin_pcm_is_read_like_a_wav()
    {
        var speech = SpeechSample.Get();
        var bytes = new byte[speech.Pcm.Length * 2 + 1]; // and an odd byte at the end, as a cut pipe may leave
        Buffer.BlockCopy(speech.Pcm, 0, bytes, 0, speech.Pcm.Length * 2);
        var clock = new VirtualTimeProvider();
        var fromWav = new RecordingSink(clock);
        var fromRaw = new RecordingSink(clock);

        await new Talker(fromWav, time: clock).TalkAsync("!r:hs", 1, PcmSource.FromSamples(speech.Pcm));
        using (var raw = PcmSource.FromRawStream(new TrickleStream(bytes, 1000)))
            await new Talker(fromRaw, time: clock).TalkAsync("!r:hs", 1, raw);

        Assert.Equal(fromWav.Frames.Select(f => f.Payload), fromRaw.Frames.Select(f => f.Payload));
    }

    [Fact]
    public async Task The_recording_is_an_ogg_opus_file_of_the_frames_sent_with_duration_packets_times_20_ms()
    {
        var speech = SpeechSample.Get();
        var clock = new VirtualTimeProvider();
        var sink = new RecordingSink(clock);

        var result = await new Talker(sink, new TalkerOptions { Record = true }, clock).TalkAsync("!r:hs", 21, PcmSource.FromSamples(speech.Pcm));

        var recording = Assert.IsType<BurstRecording>(result.Recording);
        Assert.Equal(result.Frames, recording.Packets);
        Assert.Equal(result.Frames * 20L, recording.DurationMs);
        Assert.Equal(21, recording.Epoch);
        Assert.Equal(clock.Start, recording.StartedAt);
        var ogg = OggOpusReader.Read(new MemoryStream(recording.Ogg));
        Assert.Equal(sink.Frames.Select(f => f.Payload), ogg.Packets);
        Assert.Equal(312, ogg.Head.PreSkip);
        Assert.Equal(Waveform.DefaultBuckets, recording.Waveform.Length);
        Assert.Equal(Waveform.MaxValue, recording.Waveform.Max());
    }

    [Fact]
    public async Task With_the_system_clock_a_burst_takes_its_real_duration()
    {
        var sink = new RecordingSink();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await new Talker(sink).TalkAsync("!r:hs", 1, PcmSource.FromSamples(Tone(25)));
        watch.Stop();

        Assert.Equal(25, result.Frames);
        // Frame 24 is due at 480 ms: sending all 25 frames cannot take less (nor much more on an idle machine).
        Assert.InRange(watch.ElapsedMilliseconds, 470, 2000);
    }

    /// <summary>A pipe that hands out at most a few bytes per read, like stdin.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
