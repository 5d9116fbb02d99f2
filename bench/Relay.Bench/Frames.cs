using System.Diagnostics;
using WalkieTalkie.Audio;
using WalkieTalkie.Protocol;

namespace WalkieTalkie.Bench.Relay;

/// <summary>Send time of every frame by its seq (seqs are unique over the whole run, both servers).</summary>
static class SendTimes
{
    public static readonly long[] At = new long[1 << 22];
    static int _next;

    /// <summary>Reserves <paramref name="count"/> consecutive seqs; returns the first.</summary>
    public static uint Reserve(int count) => (uint)(Interlocked.Add(ref _next, count) - count);

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>Latency samples of one measured range of seqs: one per (frame, listener) pair received.</summary>
sealed class Window(uint first, int frames, int listeners)
{
    readonly float[] _samples = new float[frames * listeners];
    int _count;

    public uint First { get; } = first;
    public uint Last { get; } = first + (uint)frames - 1;
    public int Expected { get; } = frames * listeners;
    public long LastAt;

    public void Record(uint seq, long at)
    {
        if (seq < First || seq > Last) return;
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _samples.Length) _samples[i] = (float)SendTimes.Ms(at - SendTimes.At[seq]);
        Volatile.Write(ref LastAt, at);
    }

    public int Count => Math.Min(Volatile.Read(ref _count), _samples.Length);

    public Percentiles Result() => Percentiles.Of(_samples.AsSpan(0, Count));
}

/// <summary>Waits until <c>count()</c> reaches <c>expected</c>, or until it has not moved for a second (frames lost).</summary>
static class Deliveries
{
    public static async Task WaitAsync(Func<long> count, long expected)
    {
        var last = -1L;
        var still = Stopwatch.StartNew();
        while (true)
        {
            var now = count();
            if (now >= expected) return;
            if (now != last) (last, still) = (now, Stopwatch.StartNew());
            else if (still.Elapsed > TimeSpan.FromSeconds(1)) return;
            await Task.Delay(20);
        }
    }
}

static class Recorder
{
    public static volatile Window? Current;
}

/// <summary>Real Opus packets (20 ms, 24 kb/s, the client's encoder) of a synthetic voiced signal, cycled by the talker.</summary>
static class Speech
{
    public static byte[][] Packets(int seconds = 10)
    {
        var pcm = new short[OpusVoice.SampleRate * seconds];
        var random = new Random(4002);
        double phase = 0;
        var raw = new double[pcm.Length];
        for (var i = 0; i < pcm.Length; i++)
        {
            var t = i / (double)OpusVoice.SampleRate;
            var f0 = 125 + 20 * Math.Sin(2 * Math.PI * 0.7 * t) + 6 * Math.Sin(2 * Math.PI * 5 * t); // intonation, vibrato
            phase += 2 * Math.PI * f0 / OpusVoice.SampleRate;
            double voiced = 0;
            for (var k = 1; k <= 30; k++)
            {
                var f = k * f0;
                // Three formants that wander, as vowels change.
                var f1 = 600 + 200 * Math.Sin(2 * Math.PI * 3.1 * t);
                var f2 = 1500 + 500 * Math.Sin(2 * Math.PI * 2.3 * t + 1);
                var gain = Math.Exp(-Math.Pow((f - f1) / 200, 2)) + 0.6 * Math.Exp(-Math.Pow((f - f2) / 300, 2))
                    + 0.3 * Math.Exp(-Math.Pow((f - 2600) / 400, 2)) + 0.02;
                voiced += gain * Math.Sin(k * phase) / k;
            }
            var syllables = 0.25 + 0.75 * Math.Pow(Math.Max(0, Math.Sin(2 * Math.PI * 3.7 * t)), 0.6);
            raw[i] = syllables * voiced + 0.03 * (random.NextDouble() * 2 - 1);
        }
        var peak = raw.Max(Math.Abs);
        for (var i = 0; i < pcm.Length; i++) pcm[i] = (short)(raw[i] / peak * 0.4 * short.MaxValue);
        using var encoder = new OpusVoiceEncoder();
        return encoder.EncodeAll(pcm).ToArray();
    }
}
