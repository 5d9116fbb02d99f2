using System.Text.Json.Nodes;
using WalkieTalkie.Client.Talk;

namespace WalkieTalkie.Client.Tests;

/// <summary>The voice message of a burst, byte for byte: what bridges and other clients will parse.</summary>
public class VoiceMessageTests
{
    private static readonly BurstRecording Recording = new("!room:hs", 17,
        DateTimeOffset.FromUnixTimeMilliseconds(1764158400123), new byte[4321], 150, [0, 256, 1024, 512]);

    [Fact]
    public void Unencrypted_rooms_get_url_and_every_msc_key()
    {
        var content = VoiceMessage.Content(Recording, "DEVICEID", "mxc://hs/abc", "$root:hs");
        AssertGolden("""
            {
              "msgtype": "m.audio",
              "body": "Voice message",
              "url": "mxc://hs/abc",
              "info": { "duration": 3000, "mimetype": "audio/ogg", "size": 4321 },
              "org.matrix.msc1767.audio": { "duration": 3000, "waveform": [0, 256, 1024, 512] },
              "org.matrix.msc3245.voice": {},
              "org.matrix.msc4002.burst": { "epoch": 17, "started_ts": 1764158400123, "device_id": "DEVICEID" },
              "m.relates_to": { "rel_type": "m.thread", "event_id": "$root:hs" }
            }
            """, content);
    }

    [Fact]
    public void Encrypted_rooms_get_file_instead_of_url()
    {
        var file = new EncryptedFile
        {
            Url = "mxc://hs/cipher",
            Key = new JsonWebKey { K = "qcHVMSgYg-71CauWBezXI5qkaRb0LuIy-Wx5kIaHMIA" },
            Iv = "X85+XgHN+HEAAAAAAAAAAA",
            Hashes = new Dictionary<string, string> { ["sha256"] = "5qG4fFnbbVdlAB1Q72JDKwCagV6Dbkx9uds4rSak37c" },
        };
        var content = VoiceMessage.Content(Recording, "DEVICEID", file);
        AssertGolden("""
            {
              "msgtype": "m.audio",
              "body": "Voice message",
              "file": {
                "url": "mxc://hs/cipher",
                "key": { "kty": "oct", "key_ops": ["encrypt", "decrypt"], "alg": "A256CTR", "k": "qcHVMSgYg-71CauWBezXI5qkaRb0LuIy-Wx5kIaHMIA", "ext": true },
                "iv": "X85+XgHN+HEAAAAAAAAAAA",
                "hashes": { "sha256": "5qG4fFnbbVdlAB1Q72JDKwCagV6Dbkx9uds4rSak37c" },
                "v": "v2"
              },
              "info": { "duration": 3000, "mimetype": "audio/ogg", "size": 4321 },
              "org.matrix.msc1767.audio": { "duration": 3000, "waveform": [0, 256, 1024, 512] },
              "org.matrix.msc3245.voice": {},
              "org.matrix.msc4002.burst": { "epoch": 17, "started_ts": 1764158400123, "device_id": "DEVICEID" }
            }
            """, content);
        Assert.False(content.ContainsKey("url"));
        Assert.Equal("X85+XgHN+HEAAAAAAAAAAA", content["file"]!["iv"]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => VoiceMessage.Content(Recording, "DEVICEID", file with { Url = null }));
    }

    /// <summary>Same keys, same order, same values: the golden is only re-indented, through the same serialiser.</summary>
    private static void AssertGolden(string golden, JsonObject actual) =>
        Assert.Equal(JsonNode.Parse(golden)!.ToJsonString(), actual.ToJsonString());

    [Fact]
    public async Task The_publisher_uploads_the_ogg_then_sends_the_event_and_encrypts_when_asked()
    {
        var http = new FakeHttpHandler()
            .Answer(System.Net.HttpStatusCode.OK, """{"content_uri":"mxc://hs/plain"}""")
            .Answer(System.Net.HttpStatusCode.OK, """{"event_id":"$e1"}""")
            .Answer(System.Net.HttpStatusCode.OK, """{"content_uri":"mxc://hs/cipher"}""")
            .Answer(System.Net.HttpStatusCode.OK, """{"event_id":"$e2"}""");
        using var session = new Matrix.MatrixSession(new Matrix.MatrixCredentials(new Uri("http://hs.test"), "@me:hs", "DEV", "tok"), http);
        var recording = Recording with { Ogg = [1, 2, 3, 4, 5] };
        var publisher = new VoiceMessagePublisher(session);

        Assert.Equal("$e1", await publisher.PublishAsync("!room:hs", recording, encryptAttachment: false));
        Assert.Equal("$e2", await publisher.PublishAsync("!room:hs", recording, encryptAttachment: true, "$root"));

        var (upload, send, upload2, send2) = (http.Requests[0], http.Requests[1], http.Requests[2], http.Requests[3]);
        Assert.Equal("/_matrix/media/v3/upload?filename=walkie-17.ogg", upload.PathAndQuery);
        Assert.Equal(("audio/ogg", "Bearer tok"), (upload.ContentType, upload.Authorization));
        Assert.StartsWith("/_matrix/client/v3/rooms/%21room%3Ahs/send/m.room.message/", send.PathAndQuery);
        Assert.Equal(HttpMethod.Put, send.Method);
        Assert.Equal("mxc://hs/plain", send.Json["url"]!.GetValue<string>());
        Assert.Equal("DEV", send.Json["org.matrix.msc4002.burst"]!["device_id"]!.GetValue<string>());

        Assert.Equal(("application/octet-stream", "/_matrix/media/v3/upload"), (upload2.ContentType, upload2.PathAndQuery));
        var file = send2.Json["file"]!.AsObject();
        Assert.Equal("mxc://hs/cipher", file["url"]!.GetValue<string>());
        Assert.Equal("$root", send2.Json["m.relates_to"]!["event_id"]!.GetValue<string>());
        Assert.False(send2.Json.ContainsKey("url"));
        var info = System.Text.Json.JsonSerializer.Deserialize<EncryptedFile>(file.ToJsonString())!;
        Assert.NotNull(info);
    }
}
