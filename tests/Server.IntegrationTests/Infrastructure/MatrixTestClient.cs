using System.Net.Http.Headers;

namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>A logged-in user's device talking plain HTTP to a server: what any Matrix client does.</summary>
public sealed class MatrixTestClient
{
    public HttpClient Http { get; }
    public string UserId { get; }
    public string DeviceId { get; }
    public string AccessToken { get; }

    public MatrixTestClient(Uri baseAddress, string userId, string deviceId, string accessToken)
    {
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        UserId = userId;
        DeviceId = deviceId;
        AccessToken = accessToken;
    }

    /// <summary>Registers a fresh user through the two-step m.login.dummy flow.</summary>
    public static async Task<MatrixTestClient> RegisterAsync(WalkieHost host, string? localpart = null, string password = "correct horse")
    {
        localpart ??= "u" + Guid.NewGuid().ToString("N")[..12];
        using var anonymous = host.CreateClient();
        var first = await anonymous.PostAsJsonAsync("/_matrix/client/v3/register", new { username = localpart, password });
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        var session = (await first.Content.ReadFromJsonAsync<JsonObject>())!["session"]!.GetValue<string>();
        var second = await anonymous.PostAsJsonAsync("/_matrix/client/v3/register",
            new { username = localpart, password, auth = new { type = "m.login.dummy", session } });
        var body = await second.EnsureMatrixSuccess();
        return new MatrixTestClient(host.BaseAddress, body["user_id"]!.GetValue<string>(),
            body["device_id"]!.GetValue<string>(), body["access_token"]!.GetValue<string>());
    }

    /// <summary>The same device (same access token) talking to another server process of the same homeserver.</summary>
    public MatrixTestClient On(WalkieHost host) => new(host.BaseAddress, UserId, DeviceId, AccessToken);

    /// <summary>Another device of the same user (a fresh login).</summary>
    public async Task<MatrixTestClient> LoginAgainAsync(WalkieHost host, string password = "correct horse")
    {
        using var anonymous = host.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/_matrix/client/v3/login", new
        {
            type = "m.login.password", identifier = new { type = "m.id.user", user = UserId }, password,
        });
        var body = await response.EnsureMatrixSuccess();
        return new MatrixTestClient(host.BaseAddress, UserId, body["device_id"]!.GetValue<string>(), body["access_token"]!.GetValue<string>());
    }

    public async Task<JsonObject> GetJsonAsync(string path) => await (await Http.GetAsync(path)).EnsureMatrixSuccess();
    public async Task<JsonObject> PostJsonAsync(string path, object body) => await (await Http.PostAsJsonAsync(path, body)).EnsureMatrixSuccess();
    public async Task<JsonObject> PutJsonAsync(string path, object body) => await (await Http.PutAsJsonAsync(path, body)).EnsureMatrixSuccess();
}

public static class MatrixResponses
{
    public static async Task<JsonObject> EnsureMatrixSuccess(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts a Matrix error response and returns its body.</summary>
    public static async Task<JsonObject> ShouldBeMatrixError(this HttpResponseMessage response, HttpStatusCode status, string errcode)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {errcode}, got {(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(errcode, body["errcode"]?.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["error"]?.GetValue<string>()), "a Matrix error carries a human-readable `error`");
        return body;
    }
}
