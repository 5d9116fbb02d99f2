using System.Text.Json.Serialization;

namespace WalkieTalkie.Audio;

/// <summary>The JSON Web Key of an encrypted attachment (client-server spec, "Sending encrypted attachments").</summary>
public sealed record JsonWebKey
{
    [JsonPropertyName("kty")] public string Kty { get; init; } = "oct";
    [JsonPropertyName("key_ops")] public IReadOnlyList<string> KeyOps { get; init; } = ["encrypt", "decrypt"];
    [JsonPropertyName("alg")] public string Alg { get; init; } = "A256CTR";
    /// <summary>The 256-bit key, unpadded base64url.</summary>
    [JsonPropertyName("k")] public required string K { get; init; }
    [JsonPropertyName("ext")] public bool Ext { get; init; } = true;
}

/// <summary>
/// The spec's <c>EncryptedFile</c>: what goes into <c>content.file</c> of an <c>m.audio</c> message in an encrypted
/// room. <see cref="EncryptedAttachment.Encrypt"/> leaves <see cref="Url"/> null; set it to the mxc URI after upload.
/// </summary>
public sealed record EncryptedFile
{
    [JsonPropertyName("url")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Url { get; init; }
    [JsonPropertyName("key")] public required JsonWebKey Key { get; init; }
    /// <summary>The 128-bit initial counter block, unpadded standard base64; its lower 64 bits are zero.</summary>
    [JsonPropertyName("iv")] public required string Iv { get; init; }
    /// <summary>Unpadded standard base64 hashes of the ciphertext; <c>sha256</c> is the one clients support.</summary>
    [JsonPropertyName("hashes")] public required IReadOnlyDictionary<string, string> Hashes { get; init; }
    [JsonPropertyName("v")] public string V { get; init; } = "v2";
}
