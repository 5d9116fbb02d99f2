using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using WalkieTalkie.Server.Federation.Keys;

namespace WalkieTalkie.Server.Federation.Transport;

/// <summary>Requests to other homeservers, signed with X-Matrix by this server's key.</summary>
public sealed class FederationClient(IHttpClientFactory http, Destinations destinations, ServerSigningKeys keys)
{
    public const string HttpClientName = "federation";
    static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string ServerName => keys.ServerName;

    /// <summary>Sends a request; <paramref name="sign"/> false only for the endpoints that need no authentication (keys).</summary>
    public async Task<HttpResponseMessage> SendAsync(string destination, HttpMethod method, string pathAndQuery, JsonNode? content,
        CancellationToken ct, bool sign = true)
    {
        var uri = new Uri(await destinations.BaseAddressAsync(destination, ct), pathAndQuery.TrimStart('/'));
        using var request = new HttpRequestMessage(method, uri);
        if (content is not null)
            request.Content = new StringContent(content.ToJsonString(Relaxed), Encoding.UTF8, "application/json");
        if (sign)
        {
            var header = RequestSigning.Sign(method.Method, uri.PathAndQuery, keys.ServerName, destination, content, await keys.CurrentAsync(ct));
            request.Headers.TryAddWithoutValidation("Authorization", header.ToString());
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var client = http.CreateClient(HttpClientName);
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new FederationException(destination, 0, null, $"{destination} unreachable: {e.Message}", e);
        }
    }

    public Task<JsonNode> GetJsonAsync(string destination, string pathAndQuery, CancellationToken ct, bool sign = true) =>
        SendJsonAsync(destination, HttpMethod.Get, pathAndQuery, null, ct, sign);

    public Task<JsonNode> PutJsonAsync(string destination, string pathAndQuery, JsonNode content, CancellationToken ct) =>
        SendJsonAsync(destination, HttpMethod.Put, pathAndQuery, content, ct);

    public Task<JsonNode> PostJsonAsync(string destination, string pathAndQuery, JsonNode content, CancellationToken ct) =>
        SendJsonAsync(destination, HttpMethod.Post, pathAndQuery, content, ct);

    /// <summary>The JSON answer of a 2xx; anything else throws <see cref="FederationException"/> with the peer's Matrix error.</summary>
    public async Task<JsonNode> SendJsonAsync(string destination, HttpMethod method, string pathAndQuery, JsonNode? content,
        CancellationToken ct, bool sign = true)
    {
        using var response = await SendAsync(destination, method, pathAndQuery, content, ct, sign);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? body = null;
        try
        {
            body = text.Length > 0 ? JsonNode.Parse(text) : null;
        }
        catch (JsonException) when (!response.IsSuccessStatusCode)
        {
            // An error page that is not JSON: the status says enough.
        }
        catch (JsonException e)
        {
            throw new FederationException(destination, (int)response.StatusCode, null, $"{destination} answered {method} {pathAndQuery} with no JSON", e);
        }
        if (response.IsSuccessStatusCode) return body ?? new JsonObject();
        var error = body?["errcode"]?.GetValue<string>() is { } code
            ? new MatrixError(code, body["error"]?.GetValue<string>() ?? "") { Status = (int)response.StatusCode }
            : null;
        throw new FederationException(destination, (int)response.StatusCode, error,
            $"{destination} answered {method} {pathAndQuery} with {(int)response.StatusCode} {error?.ErrCode}");
    }
}
