using WalkieTalkie.Server.Walkie.Stream;
using System.Text.RegularExpressions;
using System.Globalization;
using System.Text.Encodings.Web;
using WalkieTalkie.Audio;
using WalkieTalkie.Server.Walkie.Recording;
using Xunit.Abstractions;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Recording;

[Collection(IntegrationCollection.Name)]
public sealed class when_the_server_records_a_burst(IntegrationFixture fixture, ITestOutputHelper output)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task a_member_who_never_consented_gets_a_regular_voice_message_whose_file_plays_for_the_burst()
    {
        var packets = await SpeechPackets.GetAsync();
        var room = await RecordingRoom.CreateAsync(_host, new { recording = "server" });
        var startedAt = DateTimeOffset.UtcNow;

        var burst = await room.BurstAsync(packets, startedAt);
        var message = await room.VoiceMessageAsync(burst.Epoch);

        Assert.Equal(room.Speaker.UserId, message["sender"]!.GetValue<string>());
        var content = message["content"]!.AsObject();
        var mxc = content["url"]!.GetValue<string>();
        Assert.StartsWith("mxc://", mxc);
        long durationMs = packets.Count * 20L;
        Assert.Equal(
            ["body", "info", "m.relates_to", "msgtype", "org.matrix.msc1767.audio", "org.matrix.msc1767.file", "org.matrix.msc1767.text",
             "org.matrix.msc3245.voice", "org.matrix.msc4002.burst", "url"],
            content.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Equal("m.audio", content["msgtype"]!.GetValue<string>());
        Assert.Equal("Voice message", content["body"]!.GetValue<string>());
        Assert.Equal("Voice message", content["org.matrix.msc1767.text"]!.GetValue<string>());
        Assert.Equal("{}", content["org.matrix.msc3245.voice"]!.ToJsonString());

        var (ogg, contentType) = await room.DownloadAsync(mxc);
        Assert.Equal("audio/ogg", contentType);
        Assert.True(ogg.AsSpan(0, 4).SequenceEqual("OggS"u8), "the file starts with OggS");
        var info = content["info"]!.AsObject();
        Assert.Equal($$"""{"duration":{{durationMs}},"mimetype":"audio/ogg","size":{{ogg.Length}}}""", info.ToJsonString());
        Assert.Equal($$"""{"url":"{{mxc}}","name":"walkie-{{burst.Epoch}}.ogg","mimetype":"audio/ogg","size":{{ogg.Length}}}""",
            content["org.matrix.msc1767.file"]!.ToJsonString());
        Assert.Equal($$"""{"epoch":{{burst.Epoch}},"started_ts":{{startedAt.ToUnixTimeMilliseconds()}},"device_id":"{{room.Speaker.DeviceId}}"}""",
            content["org.matrix.msc4002.burst"]!.ToJsonString());

        var audio = content["org.matrix.msc1767.audio"]!.AsObject();
        Assert.Equal(["duration", "waveform"], audio.Select(kv => kv.Key));
        Assert.Equal(durationMs, audio["duration"]!.GetValue<long>());
        var waveform = audio["waveform"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        Assert.Equal(100, waveform.Length);
        Assert.All(waveform, v => Assert.InRange(v, 0, 1024));
        Assert.Equal(1024, waveform.Max()); // speech: the loudest slice reads full scale
        Assert.True(waveform.Count(v => v < 100) >= 3, "the pauses between words show as low values");

        // Threaded under the session root, with the reply fallback pointing at the root for clients without threads.
        var relation = content["m.relates_to"]!.AsObject();
        var rootId = relation["event_id"]!.GetValue<string>();
        Assert.Equal($$$"""{"rel_type":"m.thread","event_id":"{{{rootId}}}","is_falling_back":true,"m.in_reply_to":{"event_id":"{{{rootId}}}"}}""",
            relation.ToJsonString());
        var root = room.Seen.Single(e => e["event_id"]!.GetValue<string>() == rootId);
        Assert.Equal(room.Speaker.UserId, root["sender"]!.GetValue<string>());
        Assert.Equal("m.notice", root["content"]!["msgtype"]!.GetValue<string>());
        Assert.Equal($"🎙 Walkie-talkie session: {room.Speaker.UserId} spoke {(durationMs / 1000.0).ToString("0.0", CultureInfo.InvariantCulture)} s",
            root["content"]!["body"]!.GetValue<string>());
        Assert.True(room.Seen.ToList().IndexOf(root) < room.Seen.ToList().IndexOf(message), "the root comes before its thread");

        // libopus's tools: a clean file that plays for the burst (packets × 20 ms, less the 6.5 ms pre-skip).
        var verdict = await RecordedFile.CheckAsync(ogg);
        output.WriteLine(verdict.OpusinfoOutput);
        Assert.InRange(verdict.DecodedMs, durationMs - 40, durationMs + 40);
        Assert.InRange(verdict.PlaybackMs, durationMs - 40, durationMs + 40);
        var file = OggOpusReader.Read(ogg);
        Assert.Equal(packets, file.Packets);
        Assert.Equal(packets.Count * 960L, file.FinalGranule);

        // The audit: the floor stream has the grant and release, the burst stream the recording.
        var attached = Assert.Single((await room.BurstStreamAsync()).OfType<RecordingAttached>());
        Assert.Equal((burst.Epoch, mxc, message["event_id"]!.GetValue<string>(), rootId, (long)ogg.Length, durationMs),
            (attached.Epoch, attached.MediaUri, attached.EventId, attached.SessionRootEventId, attached.Size, attached.DurationMs));
        Assert.Equal(room.Speaker.DeviceId, attached.Speaker.DeviceId);

        if (Environment.GetEnvironmentVariable("WALKIE_WRITE_SAMPLES") == "1")
            await WriteSamplesAsync(ogg, message, root, verdict.OpusinfoOutput, packets);
    }

    [Fact]
    public async Task frames_that_never_arrived_become_loss_frames_and_the_file_keeps_the_full_duration()
    {
        var packets = await SpeechPackets.GetAsync();
        var room = await RecordingRoom.CreateAsync(_host, new { recording = "server" });
        var dropped = new HashSet<int>(Enumerable.Range(0, packets.Count).Where(i => i % 7 == 3));
        dropped.UnionWith(Enumerable.Range(60, 15)); // and a 300 ms hole
        dropped.Remove(packets.Count - 1); // the burst's length is known from its last frame

        var burst = await room.BurstAsync(packets, DateTimeOffset.UtcNow, drop: dropped, firstSeq: uint.MaxValue - 20); // seq wraps too
        var content = (await room.VoiceMessageAsync(burst.Epoch))["content"]!.AsObject();

        long durationMs = packets.Count * 20L;
        Assert.Equal(packets.Count - dropped.Count, burst.Frames);
        Assert.Equal(durationMs, content["info"]!["duration"]!.GetValue<long>());
        Assert.Equal(durationMs, content["org.matrix.msc1767.audio"]!["duration"]!.GetValue<long>());
        var (ogg, _) = await room.DownloadAsync(content["url"]!.GetValue<string>());
        var verdict = await RecordedFile.CheckAsync(ogg);
        Assert.InRange(verdict.DecodedMs, durationMs - 40, durationMs + 40);
        var file = OggOpusReader.Read(ogg);
        Assert.Equal(packets.Count, file.Packets.Count);
        Assert.Equal(dropped.Count, file.Packets.Count(p => p.Length == 1)); // TOC-only: concealed by the decoder
    }

    static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>WALKIE_WRITE_SAMPLES=1: the sample recording of docs/samples and the JS scenario's speech fixture.</summary>
    static async Task WriteSamplesAsync(byte[] ogg, JsonObject message, JsonObject root, string opusinfo, IReadOnlyList<byte[]> packets)
    {
        var samples = Path.Combine(RepositoryPaths.Root, "docs", "samples");
        Directory.CreateDirectory(samples);
        await File.WriteAllBytesAsync(Path.Combine(samples, "walkie-burst.ogg"), ogg);
        await File.WriteAllTextAsync(Path.Combine(samples, "walkie-burst.event.json"), Readable(message));
        await File.WriteAllTextAsync(Path.Combine(samples, "walkie-session-root.event.json"), Readable(root));
        await File.WriteAllTextAsync(Path.Combine(samples, "walkie-burst.opusinfo.txt"), opusinfo);

        var fixtures = Path.Combine(RepositoryPaths.Root, "tests", "clients", "js", "fixtures");
        Directory.CreateDirectory(fixtures);
        var fixture = new JsonObject
        {
            ["text"] = SpeechPackets.Text,
            ["made_by"] = "espeak-ng | sox (48 kHz mono) | WalkieTalkie.Audio.OpusVoiceEncoder (Opus VOIP, 24 kbit/s)",
            ["frame_ms"] = 20,
            ["sample_rate"] = 48000,
            ["packets"] = new JsonArray([.. packets.Select(p => (JsonNode)JsonValue.Create(Convert.ToBase64String(p)))]),
        };
        await File.WriteAllTextAsync(Path.Combine(fixtures, "speech.opus-packets.json"), fixture.ToJsonString(Pretty) + "\n");

        // As a client receives the event, less `unsigned`; the waveform on one line, the emoji as itself.
        static string Readable(JsonObject e)
        {
            var copy = e.DeepClone().AsObject();
            copy.Remove("unsigned");
            var json = copy.ToJsonString(Pretty);
            json = Regex.Replace(json, @"""waveform"": \[[\d,\s]+\]", m => Regex.Replace(m.Value, @"\s+", " ").Replace("[ ", "[").Replace(" ]", "]"));
            json = Regex.Replace(json, @"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}", m => Regex.Unescape(m.Value));
            return json + "\n";
        }
    }
}
