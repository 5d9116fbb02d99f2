using System.Text.Json.Nodes;
using System.Security.Cryptography;
using WalkieTalkie.Server.Federation.Crypto;
using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>Content hashes and reference-hash event ids (server-server spec; vectors from the spec's appendix "Signing events").</summary>
public class when_an_event_is_hashed_and_signed
{
    static JsonObject Minimal() => JsonNode.Parse("""
        {"room_id":"!x:domain","sender":"@a:domain","origin":"domain","origin_server_ts":1000000,"signatures":{},"hashes":{},
         "type":"X","content":{},"prev_events":[],"auth_events":[],"depth":3,"unsigned":{"age_ts":1000000}}
        """)!.AsObject();

    [Fact]
    public void the_content_hash_of_the_spec_minimal_event()
    {
        Assert.Equal("5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos", EventHashes.ContentHash(Minimal()));
    }

    [Fact]
    public void the_content_hash_of_the_spec_message_event()
    {
        var message = JsonNode.Parse("""
            {"content":{"body":"Here is the message content"},"event_id":"$0:domain","origin":"domain","origin_server_ts":1000000,
             "type":"m.room.message","room_id":"!r:domain","sender":"@u:domain","signatures":{},"unsigned":{"age_ts":1000000}}
            """)!.AsObject();
        Assert.Equal("onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g", EventHashes.ContentHash(message));
    }

    [Fact]
    public void the_event_id_is_the_url_safe_unpadded_sha256_of_the_redacted_event_without_signatures()
    {
        var e = Minimal();
        e["hashes"] = new JsonObject { ["sha256"] = EventHashes.ContentHash(e) };
        e["content"] = new JsonObject { ["body"] = "redacted away" };
        var redacted = Redaction.Redact(e, "10");
        redacted.Remove("signatures");
        var expected = "$" + Convert.ToBase64String(SHA256.HashData(CanonicalJson.Encode(redacted))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var id = EventHashes.EventId(e, "10");
        Assert.Equal(expected, id);
        Assert.Equal(44, id.Length);
        Assert.DoesNotContain('+', id);
        Assert.DoesNotContain('/', id);
    }

    [Fact]
    public void signatures_and_unsigned_do_not_change_the_id_but_the_content_hash_does()
    {
        var e = Minimal();
        e["hashes"] = new JsonObject { ["sha256"] = EventHashes.ContentHash(e) };
        var id = EventHashes.EventId(e, "10");

        e["signatures"] = new JsonObject { ["domain"] = new JsonObject { ["ed25519:1"] = "sig" } };
        e["unsigned"] = new JsonObject { ["age"] = 5 };
        Assert.Equal(id, EventHashes.EventId(e, "10"));

        e["content"] = new JsonObject { ["body"] = "changed" };
        Assert.False(EventHashes.ContentHashMatches(e));
        e["hashes"] = new JsonObject { ["sha256"] = EventHashes.ContentHash(e) };
        Assert.True(EventHashes.ContentHashMatches(e));
        Assert.NotEqual(id, EventHashes.EventId(e, "10"));
    }

    [Fact]
    public void sealing_signs_the_redacted_event_as_the_spec_vector_does()
    {
        UnpaddedBase64.TryDecode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1", out var seed);
        using var key = Ed25519Key.FromSeed("ed25519:1", seed);
        var e = Minimal();
        e["hashes"] = new JsonObject { ["sha256"] = EventHashes.ContentHash(e) };
        e.Remove("signatures");

        var (pdu, id) = PduFactory.Seal(e, "10", "domain", key);

        Assert.Equal("KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
            pdu["signatures"]!["domain"]!["ed25519:1"]!.GetValue<string>());
        Assert.Equal(EventHashes.EventId(pdu, "10"), id);
    }
}
