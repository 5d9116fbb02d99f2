namespace WalkieTalkie.Server.Matrix.Keys;

// Key material is opaque to the server: each document keeps the JSON text the client uploaded (`Json`), because
// clients verify signatures over it. Marten stores that text as a JSON string, so its bytes survive jsonb.

/// <summary>A device's identity keys (`device_keys` of /keys/upload); id "user|device".</summary>
public sealed record UploadedDeviceKeys(string Id, string UserId, string DeviceId, string Json, DateTimeOffset UpdatedAt)
{
    public static string Key(string userId, string deviceId) => $"{userId}|{deviceId}";
}

/// <summary>An unclaimed one-time key; id "user|device|algorithm:keyId". Rank orders claims by upload.</summary>
public sealed record OneTimeKey(string Id, string UserId, string DeviceId, string Algorithm, string KeyId, string Json, long Rank)
{
    public static string Key(string userId, string deviceId, string algorithmAndKeyId) => $"{userId}|{deviceId}|{algorithmAndKeyId}";
}

/// <summary>The one fallback key per device and algorithm; id "user|device|algorithm". Used once it was claimed.</summary>
public sealed record FallbackKey(string Id, string UserId, string DeviceId, string Algorithm, string KeyId, string Json, bool Used)
{
    public static string Key(string userId, string deviceId, string algorithm) => $"{userId}|{deviceId}|{algorithm}";
}

/// <summary>A cross-signing key (master, self_signing or user_signing); id "user|usage".</summary>
public sealed record CrossSigningKey(string Id, string UserId, string Usage, string PublicKey, string Json, DateTimeOffset UpdatedAt)
{
    public const string Master = "master", SelfSigning = "self_signing", UserSigning = "user_signing";

    public static string Key(string userId, string usage) => $"{userId}|{usage}";
}

/// <summary>
/// A signature added later through /keys/signatures/upload, merged into the target's `signatures` on /keys/query.
/// TargetKeyId is a device id or a cross-signing public key; id "targetUser|targetKey|signerUser|signerKey".
/// </summary>
public sealed record KeySignature(string Id, string TargetUserId, string TargetKeyId, string SignerUserId, string SignerKeyId, string Signature)
{
    public static string Key(string targetUserId, string targetKeyId, string signerUserId, string signerKeyId) =>
        $"{targetUserId}|{targetKeyId}|{signerUserId}|{signerKeyId}";
}
