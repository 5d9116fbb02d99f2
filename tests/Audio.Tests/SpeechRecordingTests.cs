using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace WalkieTalkie.Audio.Tests;

/// <summary>Real speech through the whole recording path, judged by the reference tools of opus-tools (libopus).</summary>
public partial class SpeechRecordingTests(ITestOutputHelper output)
{
    [Fact]
    public void Speech_recording_passes_opusinfo_and_decodes_like_the_source()
    {
        using var dir = new TempDirectory();
        var speech = SpeechSample.Get();
        using var encoder = new OpusVoiceEncoder();
        var packets = encoder.EncodeAll(speech.Pcm);
        string ogg = dir.File("speech.ogg");

        using (var file = File.Create(ogg))
            OggOpusWriter.Write(file, packets.Select(p => (ReadOnlyMemory<byte>)p), new OggOpusOptions { PreSkip = (ushort)encoder.Lookahead });

        long playableMs = (packets.Count * 960L - 312) / 48; // packets × 20 ms less the 6.5 ms pre-skip
        AssertOpusinfoIsClean(ogg, playableMs);

        short[] decoded = OpusDec(ogg, dir.File("decoded.wav"));
        Assert.Equal(packets.Count * 960 - 312, decoded.Length); // opusdec drops exactly the pre-skip
        Assert.InRange(decoded.Length / 48, packets.Count * 20 - 40, packets.Count * 20 + 40);
        double r = AudioSignal.Pearson(AudioSignal.RmsEnvelope(speech.Pcm), AudioSignal.RmsEnvelope(decoded));
        output.WriteLine($"{packets.Count} packets, {new FileInfo(ogg).Length} bytes, envelope r = {r:F4}");
        Assert.True(r > 0.9, $"20 ms RMS envelope correlation between source and opusdec output is {r:F3}, expected > 0.9.");

        var read = OggOpusReader.Read(ogg); // CRCs and every granule verified
        Assert.Equal(packets, read.Packets);
        Assert.Equal(packets.Count * 960L, read.FinalGranule);
        Assert.Equal(playableMs, read.DurationMs);
        Assert.Equal(new OpusHead(1, 1, 312, 48000, 0, 0), read.Head);
    }

    [Fact]
    public void Recording_with_dropped_packets_still_plays_for_the_full_duration()
    {
        using var dir = new TempDirectory();
        var speech = SpeechSample.Get();
        using var encoder = new OpusVoiceEncoder();
        var packets = encoder.EncodeAll(speech.Pcm);
        string ogg = dir.File("lossy.ogg");
        var dropped = new HashSet<int>(Enumerable.Range(0, packets.Count).Where(i => i % 9 == 4));
        dropped.UnionWith(Enumerable.Range(40, 12)); // and one 240 ms hole
        dropped.Add(packets.Count - 2);

        OggOpusSummary summary;
        using (var file = File.Create(ogg))
        {
            // As the server records: frames arrive with their seq, some never do.
            var writer = new OggOpusWriter(file);
            for (int seq = 0; seq < packets.Count; seq++)
                if (!dropped.Contains(seq))
                    writer.Append((uint)(1000 + seq), packets[seq]);
            summary = writer.Complete();
        }

        Assert.Equal(packets.Count, summary.Packets);
        Assert.Equal(dropped.Count, summary.LossPackets);
        long playableMs = (packets.Count * 960L - 312) / 48;
        AssertOpusinfoIsClean(ogg, playableMs);
        short[] decoded = OpusDec(ogg, dir.File("lossy.wav"));
        Assert.InRange(decoded.Length / 48, packets.Count * 20 - 40, packets.Count * 20 + 40);
        Assert.Equal(packets.Count * 960 - 312, decoded.Length);
        var read = OggOpusReader.Read(ogg);
        Assert.Equal(playableMs, read.DurationMs);
        Assert.Equal(summary.DurationMs, read.DurationMs);
        Assert.Equal(dropped.Count, read.Packets.Count(p => p.Length == 1));

        // Our own decoder (Concentus underneath) plays the same file through, concealing the TOC-only frames.
        using var decoder = new OpusVoiceDecoder();
        short[] ours = decoder.DecodeAll(read.Packets.Select(p => (ReadOnlyMemory<byte>)p), out int undecodable);
        Assert.Equal(0, undecodable);
        Assert.Equal(packets.Count * 960, ours.Length);
    }

    [Fact]
    public void Reader_accepts_what_libopus_opusenc_writes()
    {
        using var dir = new TempDirectory();
        var speech = SpeechSample.Get();
        string ogg = dir.File("opusenc.ogg");
        ExternalTool.RunChecked("opusenc", "--quiet", "--bitrate", "24", "--speech", "--comment", "SOURCE=espeak", speech.WavPath, ogg);

        var file = OggOpusReader.Read(ogg); // CRC-32 of pages written by libogg; granules per RFC 7845

        Assert.Equal(1, file.Head.ChannelCount);
        Assert.StartsWith("libopus", file.Tags.Vendor);
        Assert.Contains("SOURCE=espeak", file.Tags.Comments);
        Assert.InRange(file.DurationMs, speech.DurationMs - 1, speech.DurationMs + 1); // opusenc trims the end exactly
        int[] waveform = Waveform.FromOpusPackets(file.Packets.Select(p => (ReadOnlyMemory<byte>)p), file.Head.PreSkip);
        Assert.Equal(100, waveform.Length);
        Assert.Equal(1024, waveform.Max());
    }

    private void AssertOpusinfoIsClean(string ogg, long expectedMs)
    {
        var info = ExternalTool.RunChecked("opusinfo", ogg);
        output.WriteLine(info.Output);
        Assert.DoesNotContain("WARNING", info.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ERROR", info.Output, StringComparison.OrdinalIgnoreCase);
        // "Playback length: 0m:04.260s"
        Match length = PlaybackLength().Match(info.Stdout);
        Assert.True(length.Success, $"opusinfo printed no playback length:\n{info.Output}");
        double ms = (int.Parse(length.Groups[1].Value) * 60 + double.Parse(length.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) * 1000;
        Assert.InRange(ms, expectedMs - 1, expectedMs + 1);
    }

    private static short[] OpusDec(string ogg, string wav)
    {
        ExternalTool.RunChecked("opusdec", "--quiet", "--force-wav", ogg, wav);
        return WavFile.Read(wav);
    }

    [GeneratedRegex(@"Playback length:\s*(\d+)m:([\d.]+)s")]
    private static partial Regex PlaybackLength();
}
