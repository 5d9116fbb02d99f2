using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Federation.Keys;

/// <summary>One key of a server: its raw public key, until when it may be used, and when it expired if it is an old key.</summary>
public sealed record PeerKey(string ServerName, string KeyId, byte[] Key, long ValidUntilTs, long? ExpiredTs);

/// <summary>A server's `/_matrix/key/v2/server` answer, checked: its own name, self-signed by each of its verify keys.</summary>
public sealed record ServerKeySet(string ServerName, long ValidUntilTs, IReadOnlyDictionary<string, PeerKey> Keys, JsonObject Response)
{
    public PeerKey? Find(string keyId) => Keys.GetValueOrDefault(keyId);

    /// <summary>The checked key set, or null with why the answer cannot be trusted.</summary>
    public static ServerKeySet? Parse(string expectedServer, JsonNode? answer, out string? why)
    {
        why = null;
        if (answer is not JsonObject response) { why = "not a JSON object"; return null; }
        if (response["server_name"]?.GetValueKind() != JsonValueKind.String || response["server_name"]!.GetValue<string>() != expectedServer)
        {
            why = $"server_name is not {expectedServer}";
            return null;
        }
        if (!TryLong(response["valid_until_ts"], out var validUntil))
        {
            why = "no valid_until_ts";
            return null;
        }
        var keys = new Dictionary<string, PeerKey>(StringComparer.Ordinal);
        if (response["verify_keys"] is not JsonObject verify || verify.Count == 0) { why = "no verify_keys"; return null; }
        foreach (var (keyId, value) in verify)
        {
            if (!TryKey(value, out var raw)) { why = $"verify key {keyId} is not base64"; return null; }
            if (!keyId.StartsWith(Ed25519Key.AlgorithmName + ":", StringComparison.Ordinal)) continue;
            if (!JsonSigning.Verify(response, expectedServer, keyId, raw)) { why = $"not signed by its key {keyId}"; return null; }
            keys[keyId] = new PeerKey(expectedServer, keyId, raw, validUntil, null);
        }
        if (keys.Count == 0) { why = "no ed25519 verify key"; return null; }
        if (response["old_verify_keys"] is JsonObject old)
        {
            foreach (var (keyId, value) in old)
            {
                if (keys.ContainsKey(keyId) || !TryKey(value, out var raw)) continue;
                var expired = TryLong(value?["expired_ts"], out var ts) ? ts : 0;
                keys[keyId] = new PeerKey(expectedServer, keyId, raw, expired, expired);
            }
        }
        return new ServerKeySet(expectedServer, validUntil, keys, response);
    }

    /// <summary>An integer however the node holds it (parsed text or a CLR int or long).</summary>
    static bool TryLong(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue && node.GetValueKind() == JsonValueKind.Number && JsonSerializer.SerializeToElement(node).TryGetInt64(out value);
    }

    static bool TryKey(JsonNode? value, out byte[] raw)
    {
        raw = [];
        return value?["key"] is JsonValue k && k.TryGetValue<string>(out var text) && UnpaddedBase64.TryDecode(text, out raw) && raw.Length == 32;
    }
}
