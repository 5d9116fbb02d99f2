namespace WalkieTalkie.Server.IntegrationTests.Account;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_user_registers_and_logs_in(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task registration_is_two_step_dummy_auth_and_gives_a_working_token()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var whoami = await alice.GetJsonAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(alice.UserId, whoami["user_id"]!.GetValue<string>());
        Assert.Equal(alice.DeviceId, whoami["device_id"]!.GetValue<string>());
        Assert.EndsWith(":localhost", alice.UserId);
    }

    [Fact]
    public async Task the_first_register_call_returns_flows_and_a_session()
    {
        using var http = _host.CreateClient();
        var response = await http.PostAsJsonAsync("/_matrix/client/v3/register", new { username = "flows" + Guid.NewGuid().ToString("N")[..8], password = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("m.login.dummy", body!["flows"]![0]!["stages"]![0]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["session"]!.GetValue<string>()));
    }

    [Fact]
    public async Task a_taken_username_is_M_USER_IN_USE()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var localpart = alice.UserId[1..alice.UserId.IndexOf(':')];
        using var http = _host.CreateClient();
        var first = await http.PostAsJsonAsync("/_matrix/client/v3/register", new { username = localpart, password = "x" });
        var session = (await first.Content.ReadFromJsonAsync<JsonObject>())!["session"]!.GetValue<string>();
        var second = await http.PostAsJsonAsync("/_matrix/client/v3/register",
            new { username = localpart, password = "x", auth = new { type = "m.login.dummy", session } });
        await second.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_USER_IN_USE");
        await (await http.GetAsync($"/_matrix/client/v3/register/available?username={localpart}"))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_USER_IN_USE");
    }

    [Fact]
    public async Task an_invalid_username_is_M_INVALID_USERNAME()
    {
        using var http = _host.CreateClient();
        var first = await http.PostAsJsonAsync("/_matrix/client/v3/register", new { username = "Not Valid!", password = "x" });
        var session = (await first.Content.ReadFromJsonAsync<JsonObject>())!["session"]!.GetValue<string>();
        var second = await http.PostAsJsonAsync("/_matrix/client/v3/register",
            new { username = "Not Valid!", password = "x", auth = new { type = "m.login.dummy", session } });
        await second.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_USERNAME");
    }

    [Fact]
    public async Task login_with_the_password_makes_a_second_device_and_a_wrong_password_is_forbidden()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        Assert.NotEqual(alice.DeviceId, phone.DeviceId);
        Assert.Equal(phone.DeviceId, (await phone.GetJsonAsync("/_matrix/client/v3/account/whoami"))["device_id"]!.GetValue<string>());

        using var http = _host.CreateClient();
        var flows = await http.GetFromJsonAsync<JsonObject>("/_matrix/client/v3/login");
        Assert.Equal("m.login.password", flows!["flows"]![0]!["type"]!.GetValue<string>());
        var wrong = await http.PostAsJsonAsync("/_matrix/client/v3/login",
            new { type = "m.login.password", identifier = new { type = "m.id.user", user = alice.UserId }, password = "wrong" });
        await wrong.ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
    }

    [Fact]
    public async Task missing_and_unknown_tokens_are_401()
    {
        using var http = _host.CreateClient();
        await (await http.GetAsync("/_matrix/client/v3/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        using var unknown = new HttpRequestMessage(HttpMethod.Get, "/_matrix/client/v3/account/whoami");
        unknown.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "syt_nope");
        await (await http.SendAsync(unknown)).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
        // `?access_token=` counts only on the stream's WebSocket upgrade (issue 14).
        await (await http.GetAsync("/_matrix/client/v3/account/whoami?access_token=syt_nope")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    [Fact]
    public async Task logout_invalidates_only_that_device_and_logout_all_every_device()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        var laptop = await alice.LoginAgainAsync(_host);

        await phone.PostJsonAsync("/_matrix/client/v3/logout", new { });
        await (await phone.Http.GetAsync("/_matrix/client/v3/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
        await alice.GetJsonAsync("/_matrix/client/v3/account/whoami");

        await laptop.PostJsonAsync("/_matrix/client/v3/logout/all", new { });
        await (await alice.Http.GetAsync("/_matrix/client/v3/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
        await (await laptop.Http.GetAsync("/_matrix/client/v3/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
    }

    [Theory]
    [InlineData("{not json", "M_NOT_JSON")]
    [InlineData("""{"type": 5}""", "M_BAD_JSON")]
    public async Task bad_json_is_a_matrix_error(string body, string errcode)
    {
        using var http = _host.CreateClient();
        var response = await http.PostAsync("/_matrix/client/v3/login", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await response.ShouldBeMatrixError(HttpStatusCode.BadRequest, errcode);
    }

    [Fact]
    public async Task a_body_not_declared_as_json_is_M_NOT_JSON()
    {
        using var http = _host.CreateClient();
        var response = await http.PostAsync("/_matrix/client/v3/login", new StringContent("""{"type":"m.login.password"}""", System.Text.Encoding.UTF8, "text/plain"));
        await response.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_NOT_JSON");
    }

    [Fact]
    public async Task rate_limits_answer_M_LIMIT_EXCEEDED_with_retry_after_for_non_exempt_clients()
    {
        await using var strict = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync(), new Dictionary<string, string?>
        {
            ["RateLimits:ExemptLoopback"] = "false", ["RateLimits:AuthPerMinute"] = "3",
        });
        using var http = strict.CreateClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 5; i++)
        {
            last = await http.GetAsync("/_matrix/client/v3/register/available?username=someone");
            statuses.Add(last.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        var error = await last.ShouldBeMatrixError(HttpStatusCode.TooManyRequests, "M_LIMIT_EXCEEDED");
        Assert.True(error["retry_after_ms"]!.GetValue<long>() > 0);
    }
}
