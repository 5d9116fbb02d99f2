using System.Text.Json.Nodes;
using WalkieTalkie.Server.Matrix.Rooms;
using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Tests.Walkie.Config;

public sealed class when_reading_the_walkie_config
{
    static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    static WalkieConfig Parse(string json)
    {
        Assert.True(WalkieConfig.TryParse(Json(json), out var config, out var error), error);
        return config;
    }

    static string Error(string json)
    {
        Assert.False(WalkieConfig.TryParse(Json(json), out _, out var error), $"{json} was accepted");
        return error;
    }

    [Fact]
    public void empty_content_takes_every_default_and_is_enabled() =>
        Assert.Equal(new WalkieConfig(true, 30_000, 4_000, true, 50, RecordingMode.Client, 600_000), Parse("{}"));

    [Fact]
    public void every_field_is_read()
    {
        var config = Parse("""
            {"enabled": false, "max_talk_ms": 10000, "end_of_media_ms": 1500, "queue": false, "preempt_power_level": -10,
             "recording": "server", "session_gap_ms": 60000, "org.example.future": [1, 2]}
            """);
        Assert.Equal(new WalkieConfig(false, 10_000, 1_500, false, -10, RecordingMode.Server, 60_000), config);
        Assert.Equal(RecordingMode.Off, Parse("""{"recording": "off"}""").Recording);
    }

    [Fact]
    public void floor_settings_come_from_the_config()
    {
        var settings = Parse("""{"max_talk_ms": 10000, "end_of_media_ms": 1500, "queue": false, "preempt_power_level": 75}""").FloorSettings;
        Assert.Equal(new FloorSettings(false, 75, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1500)), settings);
        Assert.Equal(FloorSettings.Default, WalkieConfig.Default.FloorSettings);
    }

    [Theory]
    [InlineData("""{"enabled": "true"}""", "enabled")]
    [InlineData("""{"enabled": null}""", "enabled")]
    [InlineData("""{"queue": 0}""", "queue")]
    [InlineData("""{"max_talk_ms": "30000"}""", "max_talk_ms")]
    [InlineData("""{"max_talk_ms": 2.5}""", "max_talk_ms")]
    [InlineData("""{"max_talk_ms": 0}""", "max_talk_ms")]
    [InlineData("""{"max_talk_ms": -1}""", "max_talk_ms")]
    [InlineData("""{"max_talk_ms": 86400001}""", "max_talk_ms")]
    [InlineData("""{"end_of_media_ms": -4000}""", "end_of_media_ms")]
    [InlineData("""{"session_gap_ms": 0}""", "session_gap_ms")]
    [InlineData("""{"preempt_power_level": "50"}""", "preempt_power_level")]
    [InlineData("""{"preempt_power_level": 50.5}""", "preempt_power_level")]
    [InlineData("""{"recording": "cloud"}""", "recording")]
    [InlineData("""{"recording": "Server"}""", "recording")]
    [InlineData("""{"recording": 1}""", "recording")]
    public void a_field_of_the_wrong_type_or_range_is_refused_by_name(string json, string field) =>
        Assert.Contains($"`{field}`", Error(json));

    [Fact]
    public void the_largest_durations_are_accepted() =>
        Assert.Equal(86_400_000, Parse("""{"max_talk_ms": 86400000}""").MaxTalkMs);

    [Fact]
    public void server_recording_falls_back_to_client_in_an_encrypted_room()
    {
        var server = Parse("""{"recording": "server"}""");
        Assert.Equal(RecordingMode.Client, server.EffectiveRecording(encrypted: true));
        Assert.Equal(RecordingMode.Server, server.EffectiveRecording(encrypted: false));
        Assert.Equal(RecordingMode.Off, Parse("""{"recording": "off"}""").EffectiveRecording(encrypted: true));
    }

    [Fact]
    public void a_room_has_walkie_talkie_only_with_valid_enabled_config()
    {
        Assert.Null(WalkieConfig.Of(Room()));
        Assert.Null(WalkieConfig.Of(Room(config: """{"enabled": false}""")));
        Assert.Null(WalkieConfig.Of(Room(config: """{"max_talk_ms": "long"}""")));
        Assert.Equal(WalkieConfig.Default, WalkieConfig.Of(Room(config: "{}")));
    }

    // ---- The state event validator

    static readonly WalkieConfigValidator Validator = new();

    [Fact]
    public void the_validator_refuses_bad_config_with_M_BAD_JSON_and_passes_other_state()
    {
        var error = Validator.Validate(Room(), WalkieConfig.EventType, "", Json("""{"max_talk_ms": -5}"""));
        Assert.Equal("M_BAD_JSON", error?.ErrCode);
        Assert.Contains("max_talk_ms", error!.Error);
        Assert.Null(Validator.Validate(Room(), WalkieConfig.EventType, "", Json("""{"max_talk_ms": 5}""")));
        Assert.Null(Validator.Validate(Room(), "m.room.topic", "", Json("""{"max_talk_ms": -5}""")));
    }

    [Fact]
    public void server_recording_is_refused_in_an_encrypted_room_and_encryption_under_server_recording()
    {
        var encrypted = Validator.Validate(Room(encrypted: true), WalkieConfig.EventType, "", Json("""{"recording": "server"}"""));
        Assert.Equal(("ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED", 400), (encrypted?.ErrCode, encrypted?.Status));
        Assert.Null(Validator.Validate(Room(encrypted: true), WalkieConfig.EventType, "", Json("""{"recording": "client"}""")));

        var encrypting = Validator.Validate(Room(config: """{"recording": "server"}"""), EventTypes.Encryption, "",
            Json("""{"algorithm": "m.megolm.v1.aes-sha2"}"""));
        Assert.Equal("ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED", encrypting?.ErrCode);
        Assert.Null(Validator.Validate(Room(config: """{"recording": "client"}"""), EventTypes.Encryption, "",
            Json("""{"algorithm": "m.megolm.v1.aes-sha2"}""")));
    }

    static RoomState Room(string? config = null, bool encrypted = false)
    {
        var events = new List<RoomEvent> { new("$c", "!r:hs", "@a:hs", EventTypes.Create, "", """{"creator":"@a:hs"}""", 0) };
        if (encrypted) events.Add(new("$e", "!r:hs", "@a:hs", EventTypes.Encryption, "", """{"algorithm":"m.megolm.v1.aes-sha2"}""", 0));
        if (config is not null) events.Add(new("$w", "!r:hs", "@a:hs", WalkieConfig.EventType, "", config, 0));
        return RoomState.Replay("!r:hs", events);
    }
}
