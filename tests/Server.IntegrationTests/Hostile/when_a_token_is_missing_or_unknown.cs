namespace WalkieTalkie.Server.IntegrationTests.Hostile;

/// <summary>
/// Every route of the real host that is not listed as public here rejects a missing token (401 M_MISSING_TOKEN), an
/// unknown one (401 M_UNKNOWN_TOKEN) and a valid one given only as `?access_token=` outside the stream's WebSocket
/// upgrade (M_MISSING_TOKEN). A new endpoint is walked without anyone adding it here.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_a_token_is_missing_or_unknown(IntegrationFixture fixture)
{
    const string Stream = "GET /_matrix/client/unstable/org.matrix.msc4002/stream";

    /// <summary>What the spec lets anyone call (or what is not Matrix at all: health probes).</summary>
    static readonly HashSet<string> Public = new[]
        {
            "GET /_matrix/client/versions", "GET /.well-known/matrix/client", "GET /health", "GET /alive",
        }
        .Concat(new[] { "v3", "r0" }.SelectMany(v => new[]
        {
            $"GET /_matrix/client/{v}/login", $"POST /_matrix/client/{v}/login",
            $"POST /_matrix/client/{v}/register", $"GET /_matrix/client/{v}/register/available",
            $"GET /_matrix/client/{v}/profile/{{userId}}", $"GET /_matrix/client/{v}/profile/{{userId}}/displayname",
            $"GET /_matrix/client/{v}/profile/{{userId}}/avatar_url",
            $"GET /_matrix/client/{v}/directory/room/{{roomAlias}}",
            // The deprecated unauthenticated media downloads (the authenticated ones live under /_matrix/client/v1/media).
            $"GET /_matrix/media/{v}/download/{{serverName}}/{{mediaId}}",
            $"GET /_matrix/media/{v}/download/{{serverName}}/{{mediaId}}/{{fileName}}",
        }))
        .ToHashSet();

    [Fact]
    public async Task every_endpoint_outside_the_public_list_rejects_missing_and_unknown_tokens()
    {
        var routes = RouteCatalog.Of(fixture.Server);
        Assert.Empty(Public.Except(routes.Select(r => r.Key)));
        // Server-server endpoints authenticate servers (X-Matrix, tested under Federation/): without a signature they answer
        // M_UNAUTHORIZED whatever user token is given; the key and version endpoints are public by the spec.
        bool ServerSide(string key) => key.Contains(" /_matrix/federation/") || key.Contains(" /_matrix/key/");
        bool Anonymous(string key) => key.Contains(" /_matrix/key/") || key == "GET /_matrix/federation/v1/version";
        var guarded = routes.Where(r => !Public.Contains(r.Key) && !Anonymous(r.Key)).ToList();
        Assert.True(guarded.Count > 60, $"only {guarded.Count} guarded routes found");
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        using var http = fixture.Server.CreateClient();

        var failures = new List<string>();
        foreach (var route in guarded)
        {
            var path = route.Fill(RouteCatalog.Sample);
            var server = ServerSide(route.Key);
            await Expect(route, RouteCatalog.Request(route, path), server ? "M_UNAUTHORIZED" : "M_MISSING_TOKEN");
            await Expect(route, RouteCatalog.Request(route, path, token: "syt_not_a_token"), server ? "M_UNAUTHORIZED" : "M_UNKNOWN_TOKEN");
            var separator = path.Contains('?') ? '&' : '?';
            await Expect(route, RouteCatalog.Request(route, $"{path}{separator}access_token={Uri.EscapeDataString(alice.AccessToken)}"),
                server ? "M_UNAUTHORIZED" : "M_MISSING_TOKEN");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        async Task Expect(Route route, HttpRequestMessage request, string errcode)
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Unauthorized || !text.Contains($"\"{errcode}\""))
                failures.Add($"{route} ({request.RequestUri}): {(int)response.StatusCode} {text}");
        }
    }

    [Fact]
    public async Task public_endpoints_answer_without_a_token()
    {
        using var http = fixture.Server.CreateClient();
        foreach (var route in RouteCatalog.Of(fixture.Server).Where(r => Public.Contains(r.Key)))
        {
            using var response = await http.SendAsync(RouteCatalog.Request(route, route.Fill(RouteCatalog.Sample)));
            Assert.True(response.StatusCode != HttpStatusCode.Unauthorized || route.Key.EndsWith("/register"),
                $"{route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task the_stream_upgrade_takes_the_token_from_the_query()
    {
        Assert.Contains(RouteCatalog.Of(fixture.Server), r => r.Key == Stream);
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        var uri = new UriBuilder(fixture.Server.BaseAddress)
        {
            Scheme = "ws", Path = "/_matrix/client/unstable/org.matrix.msc4002/stream",
            Query = "access_token=" + Uri.EscapeDataString(alice.AccessToken),
        }.Uri;
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(uri, CancellationToken.None);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.State);
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        using var unknown = new System.Net.WebSockets.ClientWebSocket();
        var refused = new UriBuilder(uri) { Query = "access_token=syt_not_a_token" }.Uri;
        await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(() => unknown.ConnectAsync(refused, CancellationToken.None));
    }
}
