using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Tests.Federation;

/// <summary>The examples of the spec's appendix "Canonical JSON", and what it refuses.</summary>
public sealed class CanonicalJsonTests
{
    [Theory]
    [InlineData("{}", "{}")]
    [InlineData("""{"one": 1, "two": "Two"}""", """{"one":1,"two":"Two"}""")]
    [InlineData("""{"b": "2", "a": "1"}""", """{"a":"1","b":"2"}""")]
    [InlineData(
        """{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe", "three_pids": [{"medium": "email", "address": "john.doe@example.org"}, {"medium": "msisdn", "address": "123456789"}]}}}""",
        """{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}""")]
    [InlineData("""{"a": "日本語"}""", """{"a":"日本語"}""")]
    [InlineData("""{"本": 2, "日": 1}""", """{"日":1,"本":2}""")]
    [InlineData("""{"a": "\u65E5"}""", """{"a":"日"}""")]
    [InlineData("""{"a": null}""", """{"a":null}""")]
    [InlineData("""{"a": -0, "b": 1e10}""", """{"a":0,"b":10000000000}""")]
    public void the_spec_examples_encode_as_published(string input, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(CanonicalJson.Encode(JsonDocument.Parse(input).RootElement)));
        Assert.Equal(expected, CanonicalJson.ToText(JsonNode.Parse(input)));
    }

    [Fact]
    public void only_quote_backslash_and_control_characters_are_escaped_with_the_shortest_escape() =>
        Assert.Equal("""{"s":"\"\\/\n\t\u0001\u001f é 🎉"}""",
            CanonicalJson.ToText(new JsonObject { ["s"] = "\"\\/\n\t\u0001\u001f é 🎉" }));

    [Fact]
    public void keys_sort_by_code_point_so_astral_characters_follow_the_top_of_the_basic_plane() =>
        // UTF-16 ordinal order would put U+1F389 (a surrogate pair, 0xD83C...) before U+FF5E.
        Assert.Equal("""{"～":1,"🎉":2}""", CanonicalJson.ToText(new JsonObject { ["🎉"] = 2, ["～"] = 1 }));

    [Theory]
    [InlineData("""{"a": 1.5}""")]
    [InlineData("""{"a": 9007199254740992}""")]
    [InlineData("""{"a": -9007199254740992}""")]
    [InlineData("""{"a": 1e300}""")]
    [InlineData("""{"a": 1, "a": 2}""")]
    public void floats_out_of_range_integers_and_duplicate_keys_are_refused(string input) =>
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Encode(JsonDocument.Parse(input).RootElement));

    [Fact]
    public void the_largest_safe_integers_are_kept() =>
        Assert.Equal("[9007199254740991,-9007199254740991]",
            Encoding.UTF8.GetString(CanonicalJson.Encode(JsonDocument.Parse("[9007199254740991, -9007199254740991]").RootElement)));
}
