using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace WalkieTalkie.Client.Matrix;

/// <summary>
/// One device's conversation with a homeserver over the client-server API: login or registration, rooms, events,
/// media and sync, as much as a walkie-talkie client needs. Plain <see cref="HttpClient"/> and System.Text.Json;
/// every Matrix error becomes a <see cref="MatrixApiException"/>.
/// </summary>
public sealed class MatrixSession : IDisposable
{
    public const string ClientV3 = "/_matrix/client/v3";
    public const string MediaV3 = "/_matrix/media/v3";

    private readonly HttpClient _http;

    /// <param name="homeserver">Base URL, e.g. <c>http://127.0.0.1:8008</c>.</param>
    /// <param name="accessToken">An existing token, or null before <see cref="LoginAsync"/> / <see cref="RegisterAsync"/>.</param>
    /// <param name="handler">The HTTP stack (tests pass a fake or a TestServer handler); null uses a default one.</param>
    public MatrixSession(Uri homeserver, string? accessToken = null, HttpMessageHandler? handler = null)
    {
        Homeserver = homeserver ?? throw new ArgumentNullException(nameof(homeserver));
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = homeserver;
        // Longer than the longest sync long-poll a caller may ask for.
        _http.Timeout = TimeSpan.FromSeconds(120);
        AccessToken = accessToken;
    }

    public MatrixSession(MatrixCredentials credentials, HttpMessageHandler? handler = null)
        : this(credentials.Homeserver, credentials.AccessToken, handler)
    {
        UserId = credentials.UserId;
        DeviceId = credentials.DeviceId;
    }

    public Uri Homeserver { get; }
    public string? AccessToken { get; private set; }
    public string? UserId { get; private set; }
    public string? DeviceId { get; private set; }

    /// <summary>The logged-in device; throws before login.</summary>
    public MatrixCredentials Credentials =>
        AccessToken is not null && UserId is not null && DeviceId is not null
            ? new MatrixCredentials(Homeserver, UserId, DeviceId, AccessToken)
            : throw new InvalidOperationException("Not logged in: call LoginAsync or RegisterAsync first (or construct the session from credentials).");

    /// <summary>Logs in with <c>m.login.password</c>; <paramref name="user"/> is a localpart or a full user ID.</summary>
    public async Task<MatrixCredentials> LoginAsync(string user, string password, string? deviceId = null,
        string? deviceDisplayName = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["type"] = "m.login.password",
            ["identifier"] = new JsonObject { ["type"] = "m.id.user", ["user"] = user },
            ["password"] = password,
        };
        if (deviceId is not null) body["device_id"] = deviceId;
        if (deviceDisplayName is not null) body["initial_device_display_name"] = deviceDisplayName;
        var response = await SendAsync(HttpMethod.Post, $"{ClientV3}/login", body, cancellationToken, authenticated: false);
        return Adopt(response);
    }

    /// <summary>Registers a user through the two-step <c>m.login.dummy</c> flow (first POST answers 401 with a UIA session).</summary>
    public async Task<MatrixCredentials> RegisterAsync(string username, string password, string? deviceId = null,
        string? deviceDisplayName = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["username"] = username, ["password"] = password };
        if (deviceId is not null) body["device_id"] = deviceId;
        if (deviceDisplayName is not null) body["initial_device_display_name"] = deviceDisplayName;

        var (status, first) = await SendRawAsync(HttpMethod.Post, $"{ClientV3}/register", body, cancellationToken, authenticated: false);
        if (status == HttpStatusCode.OK)
            return Adopt(first);
        if (status != HttpStatusCode.Unauthorized || first.String("session") is not { } session)
            throw ToException(status, first);

        body["auth"] = new JsonObject { ["type"] = "m.login.dummy", ["session"] = session };
        var response = await SendAsync(HttpMethod.Post, $"{ClientV3}/register", body, cancellationToken, authenticated: false);
        return Adopt(response);
    }

    public async Task<WhoAmI> WhoAmIAsync(CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Get, $"{ClientV3}/account/whoami", null, cancellationToken);
        return new WhoAmI(body.RequireString("user_id", "whoami"), body.String("device_id"));
    }

    /// <summary>Creates a room; returns its room ID.</summary>
    public async Task<string> CreateRoomAsync(CreateRoomRequest? request = null, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Post, $"{ClientV3}/createRoom", (request ?? new CreateRoomRequest()).ToJson(), cancellationToken);
        return body.RequireString("room_id", "createRoom");
    }

    /// <summary>Joins a room by ID or alias; returns the room ID.</summary>
    public async Task<string> JoinAsync(string roomIdOrAlias, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Post, $"{ClientV3}/join/{Escape(roomIdOrAlias)}", new JsonObject(), cancellationToken);
        return body.RequireString("room_id", "join");
    }

    /// <summary>Invites a user to a room (<c>POST /rooms/{roomId}/invite</c>).</summary>
    public Task InviteAsync(string roomId, string userId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{ClientV3}/rooms/{Escape(roomId)}/invite", new JsonObject { ["user_id"] = userId }, cancellationToken);

    /// <summary>Leaves a room, or declines its invite (<c>POST /rooms/{roomId}/leave</c>).</summary>
    public Task LeaveAsync(string roomId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{ClientV3}/rooms/{Escape(roomId)}/leave", new JsonObject(), cancellationToken);

    /// <summary>Whether the room is end-to-end encrypted (it has <c>m.room.encryption</c> state).</summary>
    public async Task<bool> IsEncryptedAsync(string roomId, CancellationToken cancellationToken = default) =>
        await GetStateAsync(roomId, "m.room.encryption", "", cancellationToken) is { Count: > 0 };

    /// <summary>A room ID as is; an alias (<c>#name:server</c>) through the room directory.</summary>
    public async Task<string> ResolveRoomAsync(string roomIdOrAlias, CancellationToken cancellationToken = default)
    {
        if (!roomIdOrAlias.StartsWith('#'))
            return roomIdOrAlias;
        var body = await SendAsync(HttpMethod.Get, $"{ClientV3}/directory/room/{Escape(roomIdOrAlias)}", null, cancellationToken);
        return body.RequireString("room_id", "directory");
    }

    /// <summary>Sends a message event; returns its event ID. A fresh transaction ID is made when none is given.</summary>
    public async Task<string> SendEventAsync(string roomId, string eventType, JsonObject content, string? transactionId = null,
        CancellationToken cancellationToken = default)
    {
        transactionId ??= "wt" + Guid.NewGuid().ToString("N");
        var body = await SendAsync(HttpMethod.Put,
            $"{ClientV3}/rooms/{Escape(roomId)}/send/{Escape(eventType)}/{Escape(transactionId)}", content, cancellationToken);
        return body.RequireString("event_id", "send");
    }

    /// <summary>Sets a state event; returns its event ID.</summary>
    public async Task<string> SendStateAsync(string roomId, string eventType, string stateKey, JsonObject content,
        CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Put,
            $"{ClientV3}/rooms/{Escape(roomId)}/state/{Escape(eventType)}/{Escape(stateKey)}", content, cancellationToken);
        return body.RequireString("event_id", "state");
    }

    /// <summary>Reads a state event's content, or null when the room has none of that type and key.</summary>
    public async Task<JsonObject?> GetStateAsync(string roomId, string eventType, string stateKey = "", CancellationToken cancellationToken = default)
    {
        var (status, body) = await SendRawAsync(HttpMethod.Get,
            $"{ClientV3}/rooms/{Escape(roomId)}/state/{Escape(eventType)}/{Escape(stateKey)}", null, cancellationToken);
        if (status == HttpStatusCode.NotFound && body.String("errcode") == MatrixErrorCodes.NotFound)
            return null;
        return IsSuccess(status) ? body : throw ToException(status, body);
    }

    /// <summary>Uploads media (<c>POST /_matrix/media/v3/upload</c>); returns its <c>mxc://</c> URI.</summary>
    public async Task<string> UploadAsync(ReadOnlyMemory<byte> content, string contentType, string? fileName = null,
        CancellationToken cancellationToken = default)
    {
        string path = $"{MediaV3}/upload" + (fileName is null ? "" : "?filename=" + Uri.EscapeDataString(fileName));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ReadOnlyMemoryContent(content) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var (status, body) = await SendRequestAsync(request, authenticated: true, cancellationToken);
        if (!IsSuccess(status)) throw ToException(status, body);
        return body.RequireString("content_uri", "upload");
    }

    /// <summary>One <c>GET /sync</c>; <paramref name="timeout"/> makes it a long-poll.</summary>
    public async Task<SyncResponse> SyncAsync(string? since = null, TimeSpan? timeout = null, string? filter = null,
        CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (since is not null) query.Add("since=" + Uri.EscapeDataString(since));
        if (timeout is { } t) query.Add("timeout=" + (long)t.TotalMilliseconds);
        if (filter is not null) query.Add("filter=" + Uri.EscapeDataString(filter));
        var body = await SendAsync(HttpMethod.Get, $"{ClientV3}/sync" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), null, cancellationToken);
        return new SyncResponse(body);
    }

    /// <summary>Sends a JSON request and returns the body of a 2xx answer; any other answer throws <see cref="MatrixApiException"/>.</summary>
    public async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken = default,
        bool authenticated = true)
    {
        var (status, response) = await SendRawAsync(method, path, body, cancellationToken, authenticated);
        return IsSuccess(status) ? response : throw ToException(status, response);
    }

    /// <summary>Sends a JSON request and returns status and body whatever the status (for answers such as 409 that are results, not failures).</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> SendRawAsync(HttpMethod method, string path, JsonNode? body,
        CancellationToken cancellationToken = default, bool authenticated = true)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await SendRequestAsync(request, authenticated, cancellationToken);
    }

    public static MatrixApiException ToException(HttpStatusCode status, JsonObject body) =>
        new(body.String("errcode") ?? MatrixErrorCodes.Unknown,
            body.String("error") ?? $"HTTP {(int)status} without a Matrix error body", status, body);

    public void Dispose()
    {
        _http.Dispose();
    }

    private async Task<(HttpStatusCode, JsonObject)> SendRequestAsync(HttpRequestMessage request, bool authenticated, CancellationToken cancellationToken)
    {
        if (authenticated)
        {
            if (AccessToken is null)
                throw new InvalidOperationException($"{request.Method} {request.RequestUri} needs an access token: log in first.");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        }
        using var response = await _http.SendAsync(request, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonObject body;
        try
        {
            body = string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            // A proxy's HTML error page is still an error the caller should see, with its start.
            body = new JsonObject { ["errcode"] = MatrixErrorCodes.Unknown, ["error"] = $"Not JSON: {text[..Math.Min(200, text.Length)]}" };
        }
        return (response.StatusCode, body);
    }

    private MatrixCredentials Adopt(JsonObject response)
    {
        AccessToken = response.RequireString("access_token", "login");
        UserId = response.RequireString("user_id", "login");
        DeviceId = response.RequireString("device_id", "login");
        return Credentials;
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    internal static string Escape(string segment) => Uri.EscapeDataString(segment);
}
