namespace WalkieTalkie.Server.Federation.Crypto;

/// <summary>
/// "Signing JSON" (appendices): the signature covers the canonical JSON of the object without `signatures` and
/// `unsigned`; it is stored, unpadded base64, at `signatures[entity][key id]` beside any signatures already there.
/// </summary>
public static class JsonSigning
{
    /// <summary>The bytes a signature covers.</summary>
    public static byte[] SigningInput(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        copy.Remove("signatures");
        copy.Remove("unsigned");
        return CanonicalJson.Encode(copy);
    }

    public static string SignatureOf(JsonObject obj, Ed25519Key key) => UnpaddedBase64.Encode(key.Sign(SigningInput(obj)));

    /// <summary>Adds this entity's signature to <paramref name="obj"/> (in place) and returns it.</summary>
    public static JsonObject Sign(JsonObject obj, string entity, Ed25519Key key)
    {
        var signature = SignatureOf(obj, key);
        if (obj["signatures"] is not JsonObject all) obj["signatures"] = all = new JsonObject();
        if (all[entity] is not JsonObject mine) all[entity] = mine = new JsonObject();
        mine[key.KeyId] = signature;
        return obj;
    }

    /// <summary>The signature <paramref name="entity"/> made with <paramref name="keyId"/>, if the object carries one.</summary>
    public static string? FindSignature(JsonObject obj, string entity, string keyId) =>
        obj["signatures"] is JsonObject all && all[entity] is JsonObject byEntity && byEntity[keyId] is JsonValue v
            && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Whether the object carries a valid signature by <paramref name="entity"/> with the given key.</summary>
    public static bool Verify(JsonObject obj, string entity, string keyId, ReadOnlySpan<byte> publicKey)
    {
        if (FindSignature(obj, entity, keyId) is not { } signature || !UnpaddedBase64.TryDecode(signature, out var bytes)) return false;
        byte[] input;
        try
        {
            input = SigningInput(obj);
        }
        catch (CanonicalJsonException)
        {
            return false;
        }
        return Ed25519Key.Verify(publicKey, input, bytes);
    }
}
