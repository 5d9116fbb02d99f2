using System.Buffers.Text;
using System.Security.Cryptography;

namespace WalkieTalkie.Audio;

/// <summary>A ciphertext that cannot be decrypted: its hash, key or parameters do not match what the event says.</summary>
public sealed class EncryptedAttachmentException(string message) : CryptographicException(message);

/// <summary>
/// Matrix encrypted attachments (v2): AES-256-CTR under a fresh random key, a counter block of 64 random bits followed
/// by a 64-bit counter starting at 0, and the SHA-256 of the ciphertext so the homeserver cannot swap the file.
/// </summary>
public static class EncryptedAttachment
{
    public const string Version = "v2";
    public const string Algorithm = "A256CTR";
    public const string HashAlgorithm = "sha256";

    /// <summary>Encrypts with a new key and IV; the returned info lacks only the <c>url</c>.</summary>
    public static (byte[] Ciphertext, EncryptedFile Info) Encrypt(ReadOnlySpan<byte> plaintext)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] iv = new byte[AesCtr.BlockSize];
        // Lower 64 bits stay zero: the counter starts at 0 and cannot wrap into the random half.
        RandomNumberGenerator.Fill(iv.AsSpan(0, 8));
        try
        {
            byte[] ciphertext = new byte[plaintext.Length];
            AesCtr.Transform(key, iv, plaintext, ciphertext);
            var info = new EncryptedFile
            {
                Key = new JsonWebKey { K = Base64Url.EncodeToString(key) },
                Iv = ToUnpaddedBase64(iv),
                Hashes = new Dictionary<string, string> { [HashAlgorithm] = ToUnpaddedBase64(SHA256.HashData(ciphertext)) },
                V = Version,
            };
            return (ciphertext, info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Checks the ciphertext's SHA-256 against <c>hashes.sha256</c>, then decrypts.</summary>
    /// <exception cref="EncryptedAttachmentException">Hash mismatch, unsupported version or algorithm, or malformed key/IV.</exception>
    public static byte[] Decrypt(ReadOnlySpan<byte> ciphertext, EncryptedFile info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.V != Version)
            throw new EncryptedAttachmentException($"Encrypted attachment version \"{info.V}\" is not supported; only \"{Version}\" is.");
        if (info.Key.Kty != "oct" || info.Key.Alg != Algorithm)
            throw new EncryptedAttachmentException($"Key type \"{info.Key.Kty}\" / algorithm \"{info.Key.Alg}\" is not oct / {Algorithm}.");
        if (!info.Key.KeyOps.Contains("decrypt"))
            throw new EncryptedAttachmentException("The key's key_ops do not allow \"decrypt\".");
        if (!info.Hashes.TryGetValue(HashAlgorithm, out string? expectedHash))
            throw new EncryptedAttachmentException("hashes.sha256 is missing, so the ciphertext cannot be verified.");

        byte[] key = DecodeBase64Url(info.Key.K, "key.k");
        byte[] iv = DecodeBase64(info.Iv, "iv");
        byte[] expected = DecodeBase64(expectedHash, "hashes.sha256");
        try
        {
            if (key.Length != 32)
                throw new EncryptedAttachmentException($"key.k has {key.Length} bytes; A256CTR needs 32.");
            if (iv.Length != AesCtr.BlockSize)
                throw new EncryptedAttachmentException($"iv has {iv.Length} bytes; AES-CTR needs {AesCtr.BlockSize}.");
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(ciphertext), expected))
                throw new EncryptedAttachmentException("The ciphertext's SHA-256 does not match hashes.sha256: the file was altered or is not this attachment.");

            byte[] plaintext = new byte[ciphertext.Length];
            AesCtr.Transform(key, iv, ciphertext, plaintext);
            return plaintext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static string ToUnpaddedBase64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    /// <summary>Accepts padded or unpadded standard base64: the spec says unpadded, some clients pad.</summary>
    private static byte[] DecodeBase64(string value, string field)
    {
        string padded = value.TrimEnd('=');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            throw new EncryptedAttachmentException($"{field} is not base64.");
        }
    }

    private static byte[] DecodeBase64Url(string value, string field)
    {
        try
        {
            return Base64Url.DecodeFromChars(value.TrimEnd('='));
        }
        catch (FormatException)
        {
            throw new EncryptedAttachmentException($"{field} is not base64url.");
        }
    }
}
