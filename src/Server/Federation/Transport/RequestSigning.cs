using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Federation.Transport;

/// <summary>What an X-Matrix signature covers: method, uri (path and query as sent), origin, destination, JSON body.</summary>
public static class RequestSigning
{
    public static JsonObject SignedObject(string method, string uri, string origin, string destination, JsonNode? content)
    {
        var obj = new JsonObject
        {
            ["method"] = method.ToUpperInvariant(),
            ["uri"] = uri,
            ["origin"] = origin,
            ["destination"] = destination,
        };
        if (content is not null) obj["content"] = content.DeepClone();
        return obj;
    }

    public static XMatrixHeader Sign(string method, string uri, string origin, string destination, JsonNode? content, Ed25519Key key) =>
        new(origin, destination, key.KeyId, JsonSigning.SignatureOf(SignedObject(method, uri, origin, destination, content), key));

    public static bool Verify(XMatrixHeader header, string method, string uri, string destination, JsonNode? content, ReadOnlySpan<byte> publicKey)
    {
        if (!UnpaddedBase64.TryDecode(header.Signature, out var signature)) return false;
        byte[] input;
        try
        {
            input = JsonSigning.SigningInput(SignedObject(method, uri, header.Origin, destination, content));
        }
        catch (CanonicalJsonException)
        {
            return false;
        }
        return Ed25519Key.Verify(publicKey, input, signature);
    }
}
