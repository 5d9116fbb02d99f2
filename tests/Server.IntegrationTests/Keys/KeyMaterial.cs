using System.Security.Cryptography;
using System.Text;

namespace WalkieTalkie.Server.IntegrationTests.Keys;

/// <summary>
/// Key objects in the shapes the spec gives, written as JSON text so tests can check the server returns them byte
/// for byte. The values are random base64 (with '+' and '/'), not real keys: the server treats them as opaque.
/// </summary>
public static class KeyMaterial
{
    public static string B64(int bytes = 32) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=') + "+/";

    /// <summary>JSON text from a template with $0, $1, ... replaced in one pass (values are never re-scanned).</summary>
    public static string Json(string template, params object[] values) =>
        System.Text.RegularExpressions.Regex.Replace(template, @"\$(\d+)", m => values[int.Parse(m.Groups[1].Value)].ToString()!);

    public static string DeviceKeys(string userId, string deviceId, string? curve = null) => Json(
        """{"user_id":"$0","device_id":"$1","algorithms":["m.olm.v1.curve25519-aes-sha2","m.megolm.v1.aes-sha2"],"keys":{"curve25519:$1":"$2","ed25519:$1":"$3"},"signatures":{"$0":{"ed25519:$1":"$4"}}}""",
        userId, deviceId, curve ?? B64(), B64(), B64(64));

    public static string SignedKey(string userId, string deviceId, bool fallback = false) => Json(
        """{"key":"$0",$1"signatures":{"$2":{"ed25519:$3":"$4"}}}""", B64(), fallback ? "\"fallback\":true," : "", userId, deviceId, B64(64));

    public static string CrossSigningKey(string userId, string usage, string publicKey, string? signedByMaster = null)
    {
        var signatures = signedByMaster is null ? "" : $$$""","signatures":{"{{{userId}}}":{"ed25519:{{{signedByMaster}}}":"{{{B64(64)}}}"}}""";
        return $$$"""{"user_id":"{{{userId}}}","usage":["{{{usage}}}"],"keys":{"ed25519:{{{publicKey}}}":"{{{publicKey}}}"}{{{signatures}}}}""";
    }

    public static async Task<HttpResponseMessage> PostRawAsync(this MatrixTestClient client, string path, string json) =>
        await client.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Uploads `count` signed_curve25519 one-time keys (ids K0..), returning id → JSON text.</summary>
    public static async Task<Dictionary<string, string>> UploadOneTimeKeysAsync(this MatrixTestClient client, int count, string prefix = "K")
    {
        var keys = Enumerable.Range(0, count).ToDictionary(i => $"signed_curve25519:{prefix}{i}", _ => SignedKey(client.UserId, client.DeviceId));
        var body = "{\"one_time_keys\":{" + string.Join(",", keys.Select(k => $"\"{k.Key}\":{k.Value}")) + "}}";
        (await client.PostRawAsync("/_matrix/client/v3/keys/upload", body)).EnsureSuccessStatusCode();
        return keys;
    }
}
