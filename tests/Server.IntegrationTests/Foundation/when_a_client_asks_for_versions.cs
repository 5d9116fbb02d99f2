namespace WalkieTalkie.Server.IntegrationTests.Foundation;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_client_asks_for_versions(IntegrationFixture fixture)
{
    readonly HttpClient _http = fixture.Server.CreateClient();

    [Fact]
    public async Task versions_lists_v1_11_and_msc4002()
    {
        var body = await _http.GetFromJsonAsync<JsonObject>("/_matrix/client/versions");
        Assert.Contains("v1.11", body!["versions"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.True(body["unstable_features"]!["org.matrix.msc4002"]!.GetValue<bool>());
    }

    [Fact]
    public async Task well_known_points_at_this_server()
    {
        var body = await _http.GetFromJsonAsync<JsonObject>("/.well-known/matrix/client");
        Assert.Equal(fixture.Server.BaseAddress.ToString().TrimEnd('/'), body!["m.homeserver"]!["base_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_unknown_route_is_404_M_UNRECOGNIZED()
    {
        var response = await _http.GetAsync("/_matrix/client/v3/no/such/thing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("M_UNRECOGNIZED", (await response.Content.ReadFromJsonAsync<JsonObject>())!["errcode"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_wrong_method_is_405_M_UNRECOGNIZED()
    {
        var response = await _http.DeleteAsync("/_matrix/client/versions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("M_UNRECOGNIZED", (await response.Content.ReadFromJsonAsync<JsonObject>())!["errcode"]!.GetValue<string>());
    }

    [Fact]
    public async Task cors_preflight_allows_matrix_clients()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/_matrix/client/versions");
        request.Headers.Add("Origin", "https://app.element.io");
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        var response = await _http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task health_is_healthy_with_the_database()
    {
        Assert.Equal("Healthy", await _http.GetStringAsync("/health"));
        Assert.Equal("Healthy", await _http.GetStringAsync("/alive"));
    }
}
