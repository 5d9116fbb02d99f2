namespace WalkieTalkie.Audio.Tests;

public class when_drawing_a_waveform
{
    [Fact]
    public void silence_then_loud_tone_reads_0_then_1024()
    {
        short[] pcm = [.. new short[48000], .. AudioSignal.Sine(48000, 440, 20000)];

        int[] waveform = Waveform.FromPcm(pcm);

        Assert.Equal(100, waveform.Length);
        Assert.All(waveform[..50], v => Assert.Equal(0, v));
        Assert.All(waveform[50..], v => Assert.InRange(v, 1000, 1024));
        Assert.Equal(1024, waveform.Max());
    }

    [Fact]
    public void values_scale_linearly_with_rms_against_the_loudest_bucket()
    {
        short[] pcm = [.. AudioSignal.Sine(24000, 300, 5000), .. AudioSignal.Sine(24000, 300, 20000)];

        int[] waveform = Waveform.FromPcm(pcm, buckets: 4);

        Assert.Equal(4, waveform.Length);
        Assert.InRange(waveform[0], 250, 262); // a quarter of the amplitude → a quarter of 1024
        Assert.Equal(1024, waveform[3]);
    }

    [Fact]
    public void faint_hiss_is_not_blown_up_to_full_scale()
    {
        var random = new Random(4002);
        short[] hiss = Enumerable.Range(0, 96000).Select(_ => (short)random.Next(-20, 21)).ToArray();

        int[] waveform = Waveform.FromPcm(hiss);

        Assert.All(waveform, v => Assert.InRange(v, 0, 60));
    }

    [Fact]
    public void short_or_empty_audio_gives_fewer_buckets()
    {
        Assert.Empty(Waveform.FromPcm([]));
        Assert.Equal([0, 1024, 0], Waveform.FromPcm([0, 20000, 0]));
    }

    [Fact]
    public void speech_after_a_pause_rises_from_zero()
    {
        var speech = SpeechSample.Get(leadingSilenceSeconds: 1.5);
        using var encoder = new OpusVoiceEncoder();
        var packets = encoder.EncodeAll(speech.Pcm).Select(p => (ReadOnlyMemory<byte>)p);

        int[] waveform = Waveform.FromOpusPackets(packets, OpusVoice.EncoderLookahead);

        Assert.Equal(100, waveform.Length);
        Assert.All(waveform, v => Assert.InRange(v, 0, 1024));
        int silentBuckets = (int)(1.5 * 1000 / speech.DurationMs * 100) - 1;
        Assert.All(waveform[..silentBuckets], v => Assert.InRange(v, 0, 10));
        Assert.Equal(1024, waveform.Max());
        Assert.True(waveform[silentBuckets..].Average() > 150, $"speech part averages {waveform[silentBuckets..].Average():F0}");
    }
}
