using System.Collections.Concurrent;

namespace WalkieTalkie.Audio.Tests;

/// <summary>
/// Real speech for tests: espeak-ng says <see cref="Text"/>, sox turns it into 48 kHz mono 16-bit (espeak-ng writes
/// 22,050 Hz). Samples are cached per text and padding, since several tests listen to the same sentence.
/// </summary>
public sealed class SpeechSample
{
    public const string DefaultText = "Walkie talkie check. The quick brown fox jumps over the lazy dog, twice. Over.";

    private static readonly ConcurrentDictionary<(string, double), Lazy<SpeechSample>> Cache = new();
    private static readonly string Root = CreateRoot();

    private SpeechSample(string text, string wavPath, short[] pcm)
    {
        Text = text;
        WavPath = wavPath;
        Pcm = pcm;
    }

    public string Text { get; }
    /// <summary>48 kHz mono 16-bit WAV on disk (for tools such as opusenc).</summary>
    public string WavPath { get; }
    public short[] Pcm { get; }
    public int DurationMs => Pcm.Length / 48;

    /// <param name="leadingSilenceSeconds">Silence sox puts before the speech (for waveform tests).</param>
    public static SpeechSample Get(string text = DefaultText, double leadingSilenceSeconds = 0) =>
        Cache.GetOrAdd((text, leadingSilenceSeconds), key => new Lazy<SpeechSample>(() => Create(key.Item1, key.Item2))).Value;

    private static string CreateRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), "walkie-audio-speech", Environment.ProcessId.ToString());
        // The cache lives as long as the test run; leave no speech behind in /tmp.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { }
        };
        return root;
    }

    private static SpeechSample Create(string text, double leadingSilenceSeconds)
    {
        string dir = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string raw = Path.Combine(dir, "espeak.wav");
        string wav = Path.Combine(dir, "speech-48k.wav");
        ExternalTool.RunChecked("espeak-ng", "-w", raw, text);
        var sox = new List<string> { raw, "-r", "48000", "-c", "1", "-b", "16", wav };
        if (leadingSilenceSeconds > 0)
            sox.AddRange(["pad", leadingSilenceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "0"]);
        ExternalTool.RunChecked("sox", [.. sox]);
        short[] pcm = WavFile.Read(wav);
        Assert.True(pcm.Length > 48_000, $"espeak-ng produced only {pcm.Length} samples for \"{text}\".");
        return new SpeechSample(text, wav, pcm);
    }
}
