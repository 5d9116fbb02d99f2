namespace WalkieTalkie.Audio.Tests;

/// <summary>Measurements for comparing audio: short-time RMS envelopes and their correlation.</summary>
public static class AudioSignal
{
    /// <summary>RMS of consecutive windows (default 20 ms at 48 kHz).</summary>
    public static double[] RmsEnvelope(ReadOnlySpan<short> pcm, int window = 960)
    {
        var envelope = new double[pcm.Length / window];
        for (int w = 0; w < envelope.Length; w++)
        {
            double sum = 0;
            foreach (short s in pcm.Slice(w * window, window))
                sum += (double)s * s;
            envelope[w] = Math.Sqrt(sum / window);
        }
        return envelope;
    }

    /// <summary>Pearson correlation over the common length of two series.</summary>
    public static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = Math.Min(a.Length, b.Length);
        Assert.True(n > 2, "Too few points to correlate.");
        double meanA = 0, meanB = 0;
        for (int i = 0; i < n; i++) { meanA += a[i]; meanB += b[i]; }
        meanA /= n;
        meanB /= n;
        double cov = 0, varA = 0, varB = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - meanA, db = b[i] - meanB;
            cov += da * db;
            varA += da * da;
            varB += db * db;
        }
        return cov / Math.Sqrt(varA * varB);
    }

    public static short[] Sine(int samples, double frequency, double amplitude, int offset = 0)
    {
        var pcm = new short[samples];
        for (int i = 0; i < samples; i++)
            pcm[i] = (short)Math.Round(amplitude * Math.Sin(2 * Math.PI * frequency * (offset + i) / OpusVoice.SampleRate));
        return pcm;
    }
}
