using NSec.Cryptography;

namespace WalkieTalkie.Server.Federation.Crypto;

/// <summary>A server's ed25519 signing key: key id (`ed25519:abc123`), the 32-byte seed it is made from, its public half.</summary>
public sealed class Ed25519Key : IDisposable
{
    static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    public const string AlgorithmName = "ed25519";

    readonly Key _key;

    public string KeyId { get; }
    public byte[] PublicKey { get; }
    public string PublicKeyBase64 => UnpaddedBase64.Encode(PublicKey);

    Ed25519Key(string keyId, Key key)
    {
        KeyId = keyId;
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public static Ed25519Key FromSeed(string keyId, ReadOnlySpan<byte> seed)
    {
        if (!keyId.StartsWith(AlgorithmName + ":", StringComparison.Ordinal)) throw new ArgumentException($"not an ed25519 key id: {keyId}");
        return new Ed25519Key(keyId, Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey));
    }

    public static byte[] NewSeed() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    /// <summary>Whether <paramref name="signature"/> is ed25519 over <paramref name="data"/> by the raw 32-byte public key.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != Algorithm.PublicKeySize || signature.Length != Algorithm.SignatureSize) return false;
        if (!NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var pub) || pub is null) return false;
        return Algorithm.Verify(pub, data, signature);
    }

    public void Dispose() => _key.Dispose();
}
