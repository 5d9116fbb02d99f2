using System.Text.Json.Nodes;
using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>The redaction algorithm of room versions 10 and 11 (spec "Redactions" of each version).</summary>
public class when_an_event_is_redacted
{
    static JsonObject Event(string type, JsonObject content, string? stateKey = null)
    {
        var e = new JsonObject
        {
            ["auth_events"] = new JsonArray("$a"), ["content"] = content, ["depth"] = 4, ["hashes"] = new JsonObject { ["sha256"] = "h" },
            ["origin"] = "hs1.test", ["origin_server_ts"] = 1000, ["prev_events"] = new JsonArray("$p"), ["room_id"] = "!r:hs1.test",
            ["sender"] = "@a:hs1.test", ["signatures"] = new JsonObject(), ["type"] = type, ["unsigned"] = new JsonObject { ["age"] = 1 },
            ["membership"] = "join", ["prev_state"] = new JsonArray(), ["extra"] = "dropped",
        };
        if (stateKey is not null) e["state_key"] = stateKey;
        return e;
    }

    [Fact]
    public void a_message_keeps_the_v10_top_level_keys_and_loses_its_content()
    {
        var redacted = Redaction.Redact(Event("m.room.message", new JsonObject { ["body"] = "hi", ["msgtype"] = "m.text" }), "10");
        Assert.Equal(["auth_events", "content", "depth", "hashes", "membership", "origin", "origin_server_ts", "prev_events", "prev_state",
            "room_id", "sender", "signatures", "type"], redacted.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Empty(redacted["content"]!.AsObject());
    }

    [Fact]
    public void version_11_drops_origin_membership_and_prev_state()
    {
        var redacted = Redaction.Redact(Event("m.room.message", new JsonObject { ["body"] = "hi" }), "11");
        Assert.False(redacted.ContainsKey("origin"));
        Assert.False(redacted.ContainsKey("membership"));
        Assert.False(redacted.ContainsKey("prev_state"));
        Assert.True(redacted.ContainsKey("hashes"));
    }

    [Theory]
    [InlineData("10", "m.room.member", """{"membership":"join","displayname":"A","join_authorised_via_users_server":"@b:hs1.test"}""", """{"join_authorised_via_users_server":"@b:hs1.test","membership":"join"}""")]
    [InlineData("10", "m.room.create", """{"creator":"@a:hs1.test","room_version":"10","m.federate":true}""", """{"creator":"@a:hs1.test"}""")]
    [InlineData("11", "m.room.create", """{"room_version":"11","m.federate":true}""", """{"m.federate":true,"room_version":"11"}""")]
    [InlineData("10", "m.room.join_rules", """{"join_rule":"restricted","allow":[],"x":1}""", """{"allow":[],"join_rule":"restricted"}""")]
    [InlineData("10", "m.room.power_levels", """{"ban":50,"invite":0,"kick":50,"notifications":{"room":50}}""", """{"ban":50,"kick":50}""")]
    [InlineData("11", "m.room.power_levels", """{"ban":50,"invite":0,"kick":50,"notifications":{"room":50}}""", """{"ban":50,"invite":0,"kick":50}""")]
    [InlineData("10", "m.room.history_visibility", """{"history_visibility":"shared","x":1}""", """{"history_visibility":"shared"}""")]
    [InlineData("10", "m.room.redaction", """{"redacts":"$x","reason":"r"}""", "{}")]
    [InlineData("11", "m.room.redaction", """{"redacts":"$x","reason":"r"}""", """{"redacts":"$x"}""")]
    [InlineData("11", "m.room.member", """{"membership":"invite","third_party_invite":{"display_name":"x","signed":{"token":"t"}}}""", """{"membership":"invite","third_party_invite":{"signed":{"token":"t"}}}""")]
    public void content_keeps_only_what_the_version_preserves(string version, string type, string content, string expected)
    {
        var redacted = Redaction.Redact(Event(type, JsonNode.Parse(content)!.AsObject(), ""), version);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), redacted["content"]), redacted["content"]!.ToJsonString());
    }

    [Fact]
    public void the_input_is_not_changed()
    {
        var e = Event("m.room.message", new JsonObject { ["body"] = "hi" });
        var before = e.ToJsonString();
        Redaction.Redact(e, "10");
        Assert.Equal(before, e.ToJsonString());
    }
}
