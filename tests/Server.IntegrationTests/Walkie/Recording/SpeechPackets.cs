using WalkieTalkie.Audio;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Recording;

/// <summary>
/// Real speech as a speaker's client would send it: espeak-ng says a sentence, sox makes it 48 kHz mono 16-bit, and
/// <see cref="OpusVoiceEncoder"/> (the client's encoder) cuts it into 20 ms Opus packets. Made once per test run.
/// </summary>
public static class SpeechPackets
{
    public const string Text = "Walkie talkie check. The quick brown fox jumps over the lazy dog. Over.";
    public const string InstallHint = "Install the audio tools: apt-get install -y opus-tools espeak-ng sox";

    static readonly SemaphoreSlim Gate = new(1, 1);
    static IReadOnlyList<byte[]>? _packets;

    public static async Task<IReadOnlyList<byte[]>> GetAsync()
    {
        await Gate.WaitAsync();
        try { return _packets ??= await CreateAsync(); }
        finally { Gate.Release(); }
    }

    static async Task<IReadOnlyList<byte[]>> CreateAsync()
    {
        var dir = Directory.CreateTempSubdirectory("walkie-speech-");
        try
        {
            var raw = Path.Combine(dir.FullName, "espeak.wav");
            var wav = Path.Combine(dir.FullName, "speech-48k.wav");
            await RunToolAsync("espeak-ng", ["-w", raw, Text], dir.FullName);
            await RunToolAsync("sox", [raw, "-r", "48000", "-c", "1", "-b", "16", wav], dir.FullName);
            short[] pcm = WavFile.Read(wav);
            Assert.True(pcm.Length > 48_000, $"espeak-ng produced only {pcm.Length} samples");
            using var encoder = new OpusVoiceEncoder();
            return encoder.EncodeAll(pcm);
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>Runs one of the Debian audio tools; a missing tool fails the test with the install hint, never skips it.</summary>
    public static async Task<ExternalProcess.Result> RunToolAsync(string tool, IEnumerable<string> args, string workingDirectory)
    {
        ExternalProcess.Result result;
        try { result = await ExternalProcess.RunAsync(tool, args, workingDirectory, timeout: TimeSpan.FromSeconds(60)); }
        catch (InvalidOperationException e) { throw new InvalidOperationException($"{e.Message}. {InstallHint}", e); }
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Output}");
        return result;
    }
}
