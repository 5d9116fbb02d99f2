using System.Text.Json;
using System.Text.Json.Nodes;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Tests.Keys;

public sealed class when_merging_signed_json
{
    const string Device = """{"user_id":"@a:x","device_id":"D","keys":{"ed25519:D":"k+/="},"signatures":{"@a:x":{"ed25519:D":"s+/"}}}""";

    [Fact]
    public void without_additions_the_text_is_returned_untouched() =>
        Assert.Same(Device, SignedJson.Extend(Device, []));

    [Fact]
    public void later_signatures_are_merged_without_replacing_existing_ones_and_base64_stays_literal()
    {
        var extended = SignedJson.Extend(Device,
        [
            new KeySignature("1", "@a:x", "D", "@a:x", "ed25519:SSK", "new+/"),
            new KeySignature("2", "@a:x", "D", "@a:x", "ed25519:D", "ignored"),
            new KeySignature("3", "@a:x", "D", "@b:y", "ed25519:USK", "other"),
        ], new JsonObject { ["device_display_name"] = "Phone" });

        Assert.DoesNotContain("\\u002B", extended);
        var o = JsonNode.Parse(extended)!;
        Assert.Equal("s+/", o["signatures"]!["@a:x"]!["ed25519:D"]!.GetValue<string>());
        Assert.Equal("new+/", o["signatures"]!["@a:x"]!["ed25519:SSK"]!.GetValue<string>());
        Assert.Equal("other", o["signatures"]!["@b:y"]!["ed25519:USK"]!.GetValue<string>());
        Assert.Equal("Phone", o["unsigned"]!["device_display_name"]!.GetValue<string>());
        Assert.True(SignedJson.SameSignedContent(Device, extended));
    }

    [Fact]
    public void signed_content_ignores_signatures_and_unsigned_but_nothing_else()
    {
        Assert.True(SignedJson.SameSignedContent(Device, """{"device_id":"D","user_id":"@a:x","keys":{"ed25519:D":"k+/="},"unsigned":{"x":1}}"""));
        Assert.False(SignedJson.SameSignedContent(Device, """{"user_id":"@a:x","device_id":"D","keys":{"ed25519:D":"other"}}"""));
    }

    [Fact]
    public void raw_json_is_written_exactly_as_received()
    {
        var raw = new RawJson("""{"b":"+/","a" : [1, 2.50]}""");
        Assert.Equal("""{"x":{"b":"+/","a" : [1, 2.50]}}""", JsonSerializer.Serialize(new { x = raw }));
    }

    [Theory]
    [InlineData("s42", true, 42L)]
    [InlineData("42", true, 42L)]
    [InlineData("s", false, 0L)]
    [InlineData("s-1", false, 0L)]
    [InlineData("s1_2_3", false, 0L)]
    public void sync_tokens_are_the_event_sequence_with_an_optional_s(string token, bool valid, long sequence)
    {
        Assert.Equal(valid, KeyChanges.TryParseSyncToken(token, out var parsed));
        if (valid) Assert.Equal(sequence, parsed);
    }
}
