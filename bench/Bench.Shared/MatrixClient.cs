using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace WalkieTalkie.Bench;

/// <summary>
/// One device of one user, speaking the client-server API over HTTP. Devices share one <see cref="HttpClient"/>
/// (few pooled connections however many devices), each request carries its own access token.
/// </summary>
public sealed class MatrixClient(HttpClient http, string userId, string deviceId, string accessToken)
{
    public const string Password = "bench-password";

    public HttpClient Http { get; } = http;
    public string UserId { get; } = userId;
    public string DeviceId { get; } = deviceId;
    public string AccessToken { get; } = accessToken;

    /// <summary>Registers a new user with the two-step m.login.dummy flow (401 with a session, then the dummy stage).</summary>
    public static async Task<MatrixClient> RegisterAsync(HttpClient http, string prefix)
    {
        var username = $"{prefix}{Guid.NewGuid():N}"[..20];
        var first = await http.PostAsJsonAsync("/_matrix/client/v3/register", new { username, password = Password });
        var session = (await first.Content.ReadFromJsonAsync<JsonObject>())!["session"]!.GetValue<string>();
        var body = await Read(await http.PostAsJsonAsync("/_matrix/client/v3/register",
            new { username, password = Password, auth = new { type = "m.login.dummy", session } }));
        return From(http, body);
    }

    /// <summary>Another device of this user (POST /login).</summary>
    public async Task<MatrixClient> LoginAgainAsync()
    {
        var body = await Read(await Http.PostAsJsonAsync("/_matrix/client/v3/login", new
        {
            type = "m.login.password", identifier = new { type = "m.id.user", user = UserId }, password = Password,
        }));
        return From(Http, body);
    }

    static MatrixClient From(HttpClient http, JsonObject body) => new(http, body["user_id"]!.GetValue<string>(),
        body["device_id"]!.GetValue<string>(), body["access_token"]!.GetValue<string>());

    public Task<JsonObject> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);
    public Task<JsonObject> PostAsync(string path, object body) => SendAsync(HttpMethod.Post, path, body);
    public Task<JsonObject> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    async Task<JsonObject> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await Read(await Http.SendAsync(request));
    }

    static async Task<JsonObject> Read(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text)!.AsObject();
        }
    }
}
