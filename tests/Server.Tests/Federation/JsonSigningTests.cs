using System.Text.Json.Nodes;
using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Tests.Federation;

/// <summary>The spec's cryptographic test vectors (appendices): seed, server "domain", key "ed25519:1".</summary>
public sealed class JsonSigningTests
{
    const string Seed = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
    const string EmptySignature = "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ";
    const string DataSignature = "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw";

    static Ed25519Key Key()
    {
        Assert.True(UnpaddedBase64.TryDecode(Seed, out var seed));
        return Ed25519Key.FromSeed("ed25519:1", seed);
    }

    [Fact]
    public void an_empty_object_signs_as_published()
    {
        using var key = Key();
        var signed = JsonSigning.Sign(new JsonObject(), "domain", key);
        Assert.Equal("{\"signatures\":{\"domain\":{\"ed25519:1\":\"" + EmptySignature + "\"}}}", CanonicalJson.ToText(signed));
    }

    [Fact]
    public void an_object_with_data_signs_as_published()
    {
        using var key = Key();
        var signed = JsonSigning.Sign(new JsonObject { ["one"] = 1, ["two"] = "Two" }, "domain", key);
        Assert.Equal("{\"one\":1,\"signatures\":{\"domain\":{\"ed25519:1\":\"" + DataSignature + "\"}},\"two\":\"Two\"}", CanonicalJson.ToText(signed));
    }

    [Fact]
    public void signatures_and_unsigned_are_left_out_of_what_is_signed_and_other_signatures_stay()
    {
        using var key = Key();
        var obj = JsonNode.Parse("""{"two":"Two","one":1,"unsigned":{"age":5},"signatures":{"other":{"ed25519:x":"abc"}}}""")!.AsObject();
        JsonSigning.Sign(obj, "domain", key);
        Assert.Equal(DataSignature, JsonSigning.FindSignature(obj, "domain", "ed25519:1"));
        Assert.Equal("abc", JsonSigning.FindSignature(obj, "other", "ed25519:x"));
        Assert.Equal(5, obj["unsigned"]!["age"]!.GetValue<int>());
    }

    [Fact]
    public void the_published_signature_verifies_with_the_public_key_and_a_changed_object_does_not()
    {
        using var key = Key();
        var signed = JsonNode.Parse("{\"one\":1,\"two\":\"Two\",\"signatures\":{\"domain\":{\"ed25519:1\":\"" + DataSignature + "\"}}}")!.AsObject();
        Assert.True(JsonSigning.Verify(signed, "domain", "ed25519:1", key.PublicKey));

        var changed = (JsonObject)signed.DeepClone();
        changed["two"] = "Three";
        Assert.False(JsonSigning.Verify(changed, "domain", "ed25519:1", key.PublicKey));
        Assert.False(JsonSigning.Verify(signed, "elsewhere", "ed25519:1", key.PublicKey));
        Assert.False(JsonSigning.Verify(signed, "domain", "ed25519:1", new byte[32]));
    }

    [Fact]
    public void unpadded_base64_round_trips_and_accepts_padding_and_the_url_safe_alphabet()
    {
        byte[] bytes = [0xfb, 0xff, 0xbf, 0x01];
        Assert.Equal("+/+/AQ", UnpaddedBase64.Encode(bytes));
        Assert.True(UnpaddedBase64.TryDecode("+/+/AQ==", out var padded));
        Assert.Equal(bytes, padded);
        Assert.True(UnpaddedBase64.TryDecode("-_-_AQ", out var urlSafe));
        Assert.Equal(bytes, urlSafe);
        Assert.False(UnpaddedBase64.TryDecode("not base64!", out _));
    }
}
