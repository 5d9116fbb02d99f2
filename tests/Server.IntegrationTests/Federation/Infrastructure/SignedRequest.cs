using System.Text;
using WalkieTalkie.Server.Federation.Crypto;
using WalkieTalkie.Server.Federation.Keys;
using WalkieTalkie.Server.Federation.Transport;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

/// <summary>Hand-made federation requests: signed as any origin with any key, to test what a server accepts.</summary>
public static class SignedRequest
{
    /// <summary>The signing key a running server signs with.</summary>
    public static Task<Ed25519Key> KeyOf(WalkieHost host) => host.Services.GetRequiredService<ServerSigningKeys>().CurrentAsync();

    public static async Task<HttpResponseMessage> SendAsync(WalkieHost to, HttpMethod method, string pathAndQuery, string origin,
        string destination, Ed25519Key key, JsonNode? content = null, JsonNode? signedContent = null)
    {
        using var client = to.CreateClient();
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (content is not null) request.Content = new StringContent(content.ToJsonString(), Encoding.UTF8, "application/json");
        var header = RequestSigning.Sign(method.Method, pathAndQuery, origin, destination, signedContent ?? content, key);
        request.Headers.TryAddWithoutValidation("Authorization", header.ToString());
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> SendAsync(WalkieHost from, WalkieHost to, HttpMethod method, string pathAndQuery,
        JsonNode? content = null) =>
        await SendAsync(to, method, pathAndQuery, ServerName(from), ServerName(to), await KeyOf(from), content);

    public static string ServerName(WalkieHost host) => host.Services.GetRequiredService<ServerSigningKeys>().ServerName;
}
