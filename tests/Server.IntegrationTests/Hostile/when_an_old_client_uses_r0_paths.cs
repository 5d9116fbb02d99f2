namespace WalkieTalkie.Server.IntegrationTests.Hostile;

/// <summary>
/// /versions advertises r0.x, so every endpoint that r0.6.1 had is served under /_matrix/client/r0 (and media under
/// /_matrix/media/r0), answering like its v3 twin. Only what spec v1.1 added is v3-only.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_an_old_client_uses_r0_paths(IntegrationFixture fixture)
{
    /// <summary>New in v1.1 (MSC1756 cross-signing uploads, MSC1219 key backup): not part of r0.</summary>
    static readonly string[] SinceV1_1 =
        ["POST /keys/device_signing/upload", "POST /keys/signatures/upload", "GET /room_keys/version"];

    /// <summary>These end the walking device's session; they are checked on their own below.</summary>
    static readonly string[] EndTheSession = ["POST /logout", "POST /logout/all"];

    static readonly (string V3, string R0)[] Prefixes = [("/_matrix/client/v3", "/_matrix/client/r0"), ("/_matrix/media/v3", "/_matrix/media/r0")];

    [Fact]
    public void every_v3_route_that_r0_had_has_an_r0_twin_and_nothing_else_does()
    {
        var routes = RouteCatalog.Of(fixture.Server).Select(r => r.Key).ToHashSet();
        foreach (var (v3, r0) in Prefixes)
        {
            var v3Routes = Suffixes(routes, v3).Except(SinceV1_1).ToHashSet();
            var r0Routes = Suffixes(routes, r0).ToHashSet();
            Assert.True(v3Routes.Count > 0, v3);
            Assert.Equal(v3Routes.Order(), r0Routes.Order());
        }
        Assert.Contains("POST /_matrix/client/r0/login", routes);
        Assert.Contains("POST /_matrix/media/r0/upload", routes);
    }

    [Fact]
    public async Task an_old_client_logs_in_syncs_and_sends_on_r0()
    {
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server, password: "old client");
        using var http = fixture.Server.CreateClient();
        var login = await (await http.PostAsJsonAsync("/_matrix/client/r0/login",
            new { type = "m.login.password", user = alice.UserId, password = "old client" })).EnsureMatrixSuccess();
        var old = new MatrixTestClient(fixture.Server.BaseAddress, alice.UserId, login["device_id"]!.GetValue<string>(),
            login["access_token"]!.GetValue<string>());

        Assert.Equal(alice.UserId, (await old.GetJsonAsync("/_matrix/client/r0/account/whoami"))["user_id"]!.GetValue<string>());
        var room = (await old.PostJsonAsync("/_matrix/client/r0/createRoom", new { }))["room_id"]!.GetValue<string>();
        await old.PutJsonAsync($"/_matrix/client/r0/rooms/{Uri.EscapeDataString(room)}/send/m.room.message/t1", new { msgtype = "m.text", body = "hi" });
        var sync = await old.GetJsonAsync("/_matrix/client/r0/sync?timeout=0");
        Assert.Contains(sync.TimelineOf(room), e => e["content"]?["body"]?.GetValue<string>() == "hi");

        await old.PostJsonAsync("/_matrix/client/r0/logout", new { });
        await (await old.Http.GetAsync("/_matrix/client/r0/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
    }

    [Fact]
    public async Task each_r0_route_answers_like_its_v3_twin()
    {
        var alice = await MatrixTestClient.RegisterAsync(fixture.Server);
        var routes = RouteCatalog.Of(fixture.Server);
        var walked = 0;
        var differences = new List<string>();
        foreach (var (v3Prefix, r0Prefix) in Prefixes)
        foreach (var r0 in routes.Where(r => r.Template.StartsWith(r0Prefix + "/", StringComparison.Ordinal)))
        {
            var suffix = r0.Template[r0Prefix.Length..];
            if (EndTheSession.Contains($"{r0.Method} {suffix}")) continue;
            var path = r0.Fill(RouteCatalog.Sample);
            var twin = v3Prefix + path[r0Prefix.Length..];
            var (r0Status, r0Code) = await AskAsync(alice, r0, path);
            var (v3Status, v3Code) = await AskAsync(alice, r0, twin);
            walked++;
            if (r0Status == HttpStatusCode.NotFound && r0Code == "M_UNRECOGNIZED" || r0Status != v3Status || r0Code != v3Code)
                differences.Add($"{r0}: r0 {(int)r0Status} {r0Code}, v3 {(int)v3Status} {v3Code}");
        }
        Assert.True(walked > 50, $"only {walked} r0 routes walked");
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    static async Task<(HttpStatusCode, string?)> AskAsync(MatrixTestClient client, Route route, string path)
    {
        using var response = await client.Http.SendAsync(RouteCatalog.Request(route, path, client.AccessToken));
        var text = await response.Content.ReadAsStringAsync();
        var code = response.IsSuccessStatusCode ? null : JsonNode.Parse(text)?["errcode"]?.GetValue<string>();
        return (response.StatusCode, code);
    }

    static IEnumerable<string> Suffixes(IEnumerable<string> routes, string prefix) =>
        routes.Select(k => k.Split(' ', 2)).Where(p => p[1].StartsWith(prefix + "/", StringComparison.Ordinal))
            .Select(p => $"{p[0]} {p[1][prefix.Length..]}");
}
