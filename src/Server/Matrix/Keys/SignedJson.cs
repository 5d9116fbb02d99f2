using System.Text.Encodings.Web;

namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>Comparing and extending signed key objects without disturbing what the signatures cover.</summary>
public static class SignedJson
{
    // Base64 keys contain '+' and '/': keep them literal rather than \u002B when an object must be rewritten.
    static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool SameContent(string a, string b) => a == b || JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));

    /// <summary>Equal apart from `signatures` and `unsigned`, the two members the Matrix signing algorithm leaves out.</summary>
    public static bool SameSignedContent(string a, string b) =>
        JsonNode.DeepEquals(WithoutSignatures(a), WithoutSignatures(b));

    static JsonObject? WithoutSignatures(string json)
    {
        if (JsonNode.Parse(json) is not JsonObject o) return null;
        o.Remove("signatures");
        o.Remove("unsigned");
        return o;
    }

    /// <summary>The stored object with later signatures merged in (and `unsigned` data); unchanged text when there is nothing to add.</summary>
    public static string Extend(string json, IReadOnlyCollection<KeySignature> signatures, JsonObject? unsigned = null)
    {
        if (signatures.Count == 0 && unsigned is null) return json;
        if (JsonNode.Parse(json) is not JsonObject o) return json;
        if (signatures.Count > 0)
        {
            if (o["signatures"] is not JsonObject all) o["signatures"] = all = new JsonObject();
            foreach (var s in signatures)
            {
                if (all[s.SignerUserId] is not JsonObject bySigner) all[s.SignerUserId] = bySigner = new JsonObject();
                bySigner[s.SignerKeyId] ??= s.Signature;
            }
        }
        if (unsigned is not null)
        {
            if (o["unsigned"] is not JsonObject existing) o["unsigned"] = existing = new JsonObject();
            foreach (var (name, value) in unsigned) existing[name] = value?.DeepClone();
        }
        return o.ToJsonString(Relaxed);
    }
}
