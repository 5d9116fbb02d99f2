using WalkieTalkie.Server.Federation.Crypto;
using WalkieTalkie.Server.Federation.Keys;

namespace WalkieTalkie.Server.Federation.Rooms;

/// <summary>A PDU that passed the shape, signature and hash checks; <see cref="Pdu"/> is redacted when its content hash failed.</summary>
public sealed record VerifiedPdu(string EventId, JsonObject Pdu, bool Redacted)
{
    public string RoomId => Pdu["room_id"]!.GetValue<string>();
    public string Type => Pdu["type"]!.GetValue<string>();
    public string? StateKey => Pdu["state_key"]?.GetValue<string>();
    public long Depth => Pdu["depth"]!.GetValue<long>();
    public IEnumerable<string> AuthEvents => Ids(Pdu["auth_events"]);
    public IEnumerable<string> PrevEvents => Ids(Pdu["prev_events"]);

    static IEnumerable<string> Ids(JsonNode? node) => node is JsonArray a ? a.Select(x => x!.GetValue<string>()) : [];
}

/// <summary>
/// Server-server spec "Checks performed on receipt of a PDU", steps 1-3: a valid event of the room version, signed by
/// the sender's server (and, for joins authorised by another server, by that one too), its content hash matching —
/// else it is redacted before anything else sees it. The event id is computed here, never taken from a peer.
/// </summary>
public sealed class PduVerifier(PeerKeys keys)
{
    public const int MaxPduBytes = 65_536;

    /// <summary>The verified PDU, or the reason it is refused.</summary>
    public async Task<(VerifiedPdu? Pdu, string? Error)> VerifyAsync(JsonObject pdu, string roomVersion, CancellationToken ct)
    {
        if (ShapeError(pdu) is { } shape) return (null, shape);
        byte[] canonical;
        try
        {
            canonical = CanonicalJson.Encode(pdu);
        }
        catch (CanonicalJsonException e)
        {
            return (null, $"not canonical JSON: {e.Message}");
        }
        if (canonical.Length > MaxPduBytes) return (null, "PDU larger than 64 KiB");

        var redacted = Redaction.Redact(pdu, roomVersion);
        var sender = pdu["sender"]!.GetValue<string>();
        var servers = new List<string> { ServerOf(sender) };
        if (pdu["type"]?.GetValue<string>() == "m.room.member" && pdu["content"]?["join_authorised_via_users_server"] is JsonValue via
            && via.TryGetValue<string>(out var authoriser))
            servers.Add(ServerOf(authoriser));
        foreach (var server in servers.Distinct())
            if (!await SignedByAsync(redacted, server, ct)) return (null, $"not signed by {server}");

        var eventId = EventHashes.EventId(pdu, roomVersion);
        return EventHashes.ContentHashMatches(pdu)
            ? (new VerifiedPdu(eventId, pdu, false), null)
            : (new VerifiedPdu(eventId, redacted, true), null);
    }

    async Task<bool> SignedByAsync(JsonObject redacted, string server, CancellationToken ct)
    {
        if (redacted["signatures"]?[server] is not JsonObject byKey) return false;
        foreach (var (keyId, _) in byKey)
        {
            if (!keyId.StartsWith(Ed25519Key.AlgorithmName + ":", StringComparison.Ordinal)) continue;
            if (await keys.FindAsync(server, keyId, ct) is { } key && JsonSigning.Verify(redacted, server, keyId, key.Key)) return true;
        }
        return false;
    }

    static string? ShapeError(JsonObject pdu)
    {
        foreach (var key in new[] { "room_id", "sender", "type" })
            if (pdu[key] is not JsonValue v || !v.TryGetValue<string>(out _)) return $"`{key}` must be a string";
        if (pdu["content"] is not JsonObject) return "`content` must be an object";
        if (pdu["depth"] is not JsonValue d || !d.TryGetValue<long>(out var depth) || depth < 0) return "`depth` must be a non-negative integer";
        if (pdu["origin_server_ts"] is not JsonValue t || !t.TryGetValue<long>(out _)) return "`origin_server_ts` must be an integer";
        foreach (var key in new[] { "auth_events", "prev_events" })
            if (pdu[key] is not JsonArray a || a.Any(x => x is not JsonValue s || !s.TryGetValue<string>(out _))) return $"`{key}` must be a list of event ids";
        if (pdu["state_key"] is { } sk && (sk is not JsonValue skv || !skv.TryGetValue<string>(out _))) return "`state_key` must be a string";
        if (!MatrixIds.TryParseUserId(pdu["sender"]!.GetValue<string>(), out _, out _)) return "`sender` is not a user id";
        return null;
    }

    public static string ServerOf(string id) => id.IndexOf(':') is var colon and >= 0 ? id[(colon + 1)..] : "";
}
