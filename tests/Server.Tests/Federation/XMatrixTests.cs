using System.Text.Json.Nodes;
using WalkieTalkie.Server.Federation.Crypto;
using WalkieTalkie.Server.Federation.Keys;
using WalkieTalkie.Server.Federation.Transport;

namespace WalkieTalkie.Server.Tests.Federation;

/// <summary>The X-Matrix header, request signatures and key answers, without a server.</summary>
public sealed class XMatrixTests
{
    static Ed25519Key NewKey(string id = "ed25519:a_1") => Ed25519Key.FromSeed(id, Ed25519Key.NewSeed());

    [Theory]
    [InlineData("""X-Matrix origin="hs1.test",destination="hs2.test",key="ed25519:a_1",sig="c2ln" """)]
    [InlineData("""X-Matrix origin=hs1.test,destination=hs2.test,key="ed25519:a_1",sig=c2ln""")]
    [InlineData("""x-matrix ORIGIN="hs1.test", Destination="hs2.test", key="ed25519:a_1", sig="c2ln" """)]
    public void quoted_and_token_values_and_any_case_of_names_parse(string header)
    {
        var parsed = XMatrixHeader.Parse(header.TrimEnd());
        Assert.Equal(new XMatrixHeader("hs1.test", "hs2.test", "ed25519:a_1", "c2ln"), parsed);
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("""X-Matrix origin="hs1.test",key="ed25519:a_1" """)]
    [InlineData("""X-Matrix origin="hs1.test,key="ed25519:a_1",sig="c2ln""")]
    [InlineData(null)]
    public void other_schemes_missing_parameters_and_unterminated_quotes_do_not_parse(string? header) =>
        Assert.Null(XMatrixHeader.Parse(header));

    [Fact]
    public void a_header_without_destination_is_still_parsed_for_older_servers() =>
        Assert.Null(XMatrixHeader.Parse("""X-Matrix origin="hs1.test",key="ed25519:a_1",sig="c2ln" """.TrimEnd())!.Destination);

    [Fact]
    public void a_request_signature_covers_method_uri_origin_destination_and_content()
    {
        using var key = NewKey();
        var content = JsonNode.Parse("""{"pdus":[],"n":1}""");
        var header = RequestSigning.Sign("PUT", "/_matrix/federation/v1/send/1", "hs1.test", "hs2.test", content, key);
        Assert.Equal(header, XMatrixHeader.Parse(header.ToString()));

        Assert.True(RequestSigning.Verify(header, "PUT", "/_matrix/federation/v1/send/1", "hs2.test", content, key.PublicKey));
        Assert.False(RequestSigning.Verify(header, "POST", "/_matrix/federation/v1/send/1", "hs2.test", content, key.PublicKey));
        Assert.False(RequestSigning.Verify(header, "PUT", "/_matrix/federation/v1/send/2", "hs2.test", content, key.PublicKey));
        Assert.False(RequestSigning.Verify(header, "PUT", "/_matrix/federation/v1/send/1", "hs3.test", content, key.PublicKey));
        Assert.False(RequestSigning.Verify(header, "PUT", "/_matrix/federation/v1/send/1", "hs2.test", JsonNode.Parse("""{"pdus":[],"n":2}"""), key.PublicKey));
        Assert.False(RequestSigning.Verify(header with { Origin = "hs3.test" }, "PUT", "/_matrix/federation/v1/send/1", "hs2.test", content, key.PublicKey));
        using var other = NewKey();
        Assert.False(RequestSigning.Verify(header, "PUT", "/_matrix/federation/v1/send/1", "hs2.test", content, other.PublicKey));
    }

    static JsonObject KeyAnswer(string server, Ed25519Key key, Ed25519Key? signer = null)
    {
        var answer = new JsonObject
        {
            ["server_name"] = server,
            ["valid_until_ts"] = 1_000,
            ["verify_keys"] = new JsonObject { [key.KeyId] = new JsonObject { ["key"] = key.PublicKeyBase64 } },
            ["old_verify_keys"] = new JsonObject(),
        };
        return JsonSigning.Sign(answer, server, signer ?? key);
    }

    [Fact]
    public void a_key_answer_must_name_the_server_asked_and_be_signed_by_its_own_key()
    {
        using var key = NewKey();
        var set = ServerKeySet.Parse("hs1.test", KeyAnswer("hs1.test", key), out _);
        Assert.Equal(key.PublicKey, set!.Find(key.KeyId)!.Key);
        Assert.Equal(1_000, set.ValidUntilTs);

        Assert.Null(ServerKeySet.Parse("hs2.test", KeyAnswer("hs1.test", key), out var why));
        Assert.Contains("server_name", why);
        using var stranger = NewKey(key.KeyId);
        Assert.Null(ServerKeySet.Parse("hs1.test", KeyAnswer("hs1.test", key, signer: stranger), out why));
        Assert.Contains("not signed", why);
    }
}
