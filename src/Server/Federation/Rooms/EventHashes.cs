using System.Security.Cryptography;
using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>
/// Content hashes (`hashes.sha256`) and reference hashes (the event id of room versions 4 and later), server-server
/// spec "Calculating the content hash for an event" and "Calculating the reference hash for an event".
/// </summary>
public static class EventHashes
{
    /// <summary>Unpadded standard base64 of sha256 over the canonical JSON without `unsigned`, `signatures` and `hashes`.</summary>
    public static string ContentHash(JsonObject pdu)
    {
        var copy = (JsonObject)pdu.DeepClone();
        copy.Remove("unsigned");
        copy.Remove("signatures");
        copy.Remove("hashes");
        return Unpadded(Convert.ToBase64String(SHA256.HashData(CanonicalJson.Encode(copy))));
    }

    /// <summary>sha256 over the canonical JSON of the redacted event without `signatures` and `unsigned`.</summary>
    public static byte[] ReferenceHash(JsonObject pdu, string roomVersion)
    {
        var redacted = Redaction.Redact(pdu, roomVersion);
        redacted.Remove("signatures");
        redacted.Remove("unsigned");
        return SHA256.HashData(CanonicalJson.Encode(redacted));
    }

    /// <summary>`$` + unpadded URL-safe base64 of the reference hash (room versions 4 and later).</summary>
    public static string EventId(JsonObject pdu, string roomVersion) =>
        "$" + Unpadded(Convert.ToBase64String(ReferenceHash(pdu, roomVersion))).Replace('+', '-').Replace('/', '_');

    /// <summary>Whether `hashes.sha256` matches the event's content (false means the event reached us redacted or altered).</summary>
    public static bool ContentHashMatches(JsonObject pdu) =>
        pdu["hashes"] is JsonObject hashes && hashes["sha256"] is JsonValue v && v.TryGetValue<string>(out var claimed)
        && claimed == ContentHash(pdu);

    static string Unpadded(string base64) => base64.TrimEnd('=');
}
