using System.Security.Cryptography;
using System.Text;

namespace WalkieTalkie.Server.Infrastructure.Auth;

/// <summary>An access token as stored: only its SHA-256 hash, bound to one device.</summary>
public sealed record AccessToken(string Id, string UserId, string DeviceId, DateTimeOffset CreatedAt);

public static class AccessTokens
{
    /// <summary>A new random token (256 bits) in the conventional `syt_` shape.</summary>
    public static string Generate() => "syt_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The storage key of a token: tokens are high-entropy, so a plain hash is enough (no KDF).</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A device id like Synapse's: ten upper-case letters.</summary>
    public static string NewDeviceId()
    {
        Span<char> id = stackalloc char[10];
        for (var i = 0; i < id.Length; i++) id[i] = (char)('A' + RandomNumberGenerator.GetInt32(26));
        return new string(id);
    }
}
