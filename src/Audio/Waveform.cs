namespace WalkieTalkie.Audio;

/// <summary>
/// The MSC1767 voice-message waveform: <see cref="DefaultBuckets"/> integers in 0..1024, one per equal slice of the
/// audio. Each value is the slice's RMS (linear, not dB), scaled so the loudest slice reads 1024. Recordings whose
/// loudest slice is quieter than <see cref="QuietFloorRms"/> (−40 dBFS) are scaled against that floor instead, so
/// silence and hiss stay near 0 rather than being blown up to full scale.
/// </summary>
public static class Waveform
{
    public const int DefaultBuckets = 100;
    public const int MaxValue = 1024;
    /// <summary>−40 dBFS in PCM16 units.</summary>
    public const double QuietFloorRms = 327.68;

    /// <summary>Waveform of 48 kHz PCM; fewer buckets than asked when there are fewer samples, none for no audio.</summary>
    public static int[] FromPcm(ReadOnlySpan<short> pcm, int buckets = DefaultBuckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        int count = (int)Math.Min(buckets, pcm.Length);
        var rms = new double[count];
        double loudest = 0;
        for (int i = 0; i < count; i++)
        {
            int start = (int)((long)i * pcm.Length / count);
            int end = (int)((long)(i + 1) * pcm.Length / count);
            double sum = 0;
            foreach (short s in pcm[start..end])
                sum += (double)s * s;
            rms[i] = Math.Sqrt(sum / (end - start));
            loudest = Math.Max(loudest, rms[i]);
        }

        double reference = Math.Max(loudest, QuietFloorRms);
        var values = new int[count];
        for (int i = 0; i < count; i++)
            values[i] = (int)Math.Round(MaxValue * rms[i] / reference);
        return values;
    }

    /// <summary>Decodes a recording's packets (empty = lost), drops the pre-skip and computes its waveform.</summary>
    public static int[] FromOpusPackets(IEnumerable<ReadOnlyMemory<byte>> packets, int preSkip, int buckets = DefaultBuckets)
    {
        using var decoder = new OpusVoiceDecoder();
        short[] pcm = decoder.DecodeAll(packets, out _);
        return FromPcm(pcm.AsSpan(Math.Min(preSkip, pcm.Length)), buckets);
    }
}
