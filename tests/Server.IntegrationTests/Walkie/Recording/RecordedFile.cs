using System.Globalization;
using System.Text.RegularExpressions;
using WalkieTalkie.Audio;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Recording;

/// <summary>A downloaded recording judged by libopus's own tools (opus-tools): opusinfo must be clean, opusdec must play it.</summary>
public static partial class RecordedFile
{
    public sealed record Verdict(string OpusinfoOutput, double PlaybackMs, int DecodedSamples)
    {
        public double DecodedMs => DecodedSamples / 48.0;
    }

    public static async Task<Verdict> CheckAsync(byte[] ogg)
    {
        var dir = Directory.CreateTempSubdirectory("walkie-recording-");
        try
        {
            var file = Path.Combine(dir.FullName, "burst.ogg");
            await File.WriteAllBytesAsync(file, ogg);
            var info = await SpeechPackets.RunToolAsync("opusinfo", [file], dir.FullName);
            Assert.DoesNotContain("WARNING", info.Output, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("ERROR", info.Output, StringComparison.OrdinalIgnoreCase);
            var length = PlaybackLength().Match(info.Output);
            Assert.True(length.Success, $"opusinfo printed no playback length:\n{info.Output}");
            double playbackMs = (int.Parse(length.Groups[1].Value, CultureInfo.InvariantCulture) * 60
                + double.Parse(length.Groups[2].Value, CultureInfo.InvariantCulture)) * 1000;

            var wav = Path.Combine(dir.FullName, "burst.wav");
            await SpeechPackets.RunToolAsync("opusdec", ["--quiet", file, wav], dir.FullName);
            return new Verdict(info.Output.Replace(file, "walkie-burst.ogg"), playbackMs, WavFile.Read(wav).Length);
        }
        finally { dir.Delete(recursive: true); }
    }

    [GeneratedRegex(@"Playback length:\s*(\d+)m:([\d.]+)s")]
    private static partial Regex PlaybackLength();
}
