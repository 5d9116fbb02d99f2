using Marten;
using WalkieTalkie.Server.Matrix.Account;
using WalkieTalkie.Server.Matrix.Devices;

namespace WalkieTalkie.Server.IntegrationTests.Devices;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_user_manages_devices(IntegrationFixture fixture)
{
    const string Password = "correct horse";
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task devices_lists_every_device_of_the_caller_with_last_seen()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);

        var devices = (await alice.GetJsonAsync("/_matrix/client/v3/devices"))["devices"]!.AsArray();

        Assert.Equal(new[] { alice.DeviceId, phone.DeviceId }.Order(), devices.Select(d => d!["device_id"]!.GetValue<string>()).Order());
        Assert.DoesNotContain(devices, d => d!["device_id"]!.GetValue<string>() == bob.DeviceId);
        var self = devices.Single(d => d!["device_id"]!.GetValue<string>() == alice.DeviceId)!;
        Assert.InRange(self["last_seen_ts"]!.GetValue<long>(), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(),
            DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        Assert.Equal("127.0.0.1", self["last_seen_ip"]!.GetValue<string>());
    }

    [Fact]
    public async Task last_seen_reaches_the_database_on_flush()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await alice.GetJsonAsync("/_matrix/client/v3/account/whoami");

        await _host.Services.GetRequiredService<DeviceActivity>().FlushAsync(CancellationToken.None);

        await using var session = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var stored = await session.LoadAsync<UserDevice>(UserDevice.Key(alice.UserId, alice.DeviceId));
        Assert.NotNull(stored!.LastSeenAt);
        Assert.Equal("127.0.0.1", stored.LastSeenIp);
    }

    [Fact]
    public async Task one_device_is_readable_and_another_users_device_is_404()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);

        var device = await alice.GetJsonAsync($"/_matrix/client/v3/devices/{alice.DeviceId}");
        Assert.Equal(alice.DeviceId, device["device_id"]!.GetValue<string>());

        await (await alice.Http.GetAsync($"/_matrix/client/v3/devices/{bob.DeviceId}")).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        await (await alice.Http.GetAsync("/_matrix/client/v3/devices/NOSUCHDEVICE")).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task renaming_a_device_changes_only_its_display_name()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);

        await alice.PutJsonAsync($"/_matrix/client/v3/devices/{phone.DeviceId}", new { display_name = "Alice's phone" });
        await alice.PutJsonAsync($"/_matrix/client/v3/devices/{phone.DeviceId}", new { });

        var device = await alice.GetJsonAsync($"/_matrix/client/v3/devices/{phone.DeviceId}");
        Assert.Equal("Alice's phone", device["display_name"]!.GetValue<string>());
        await (await alice.Http.PutAsJsonAsync("/_matrix/client/v3/devices/NOSUCHDEVICE", new { display_name = "x" }))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        await (await alice.Http.PutAsJsonAsync($"/_matrix/client/v3/devices/{phone.DeviceId}", new { display_name = 5 }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }

    [Fact]
    public async Task deleting_a_device_asks_for_the_password_then_kills_its_token()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        var path = $"/_matrix/client/v3/devices/{phone.DeviceId}";

        var challenge = await alice.Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, path));
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        var flows = (await challenge.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("m.login.password", flows["flows"]![0]!["stages"]![0]!.GetValue<string>());
        var session = flows["session"]!.GetValue<string>();

        var wrong = await Delete(alice, path, PasswordAuth(session, alice.UserId, "wrong"));
        var error = await wrong.ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_FORBIDDEN");
        Assert.Equal(session, error["session"]!.GetValue<string>());
        await phone.GetJsonAsync("/_matrix/client/v3/account/whoami");

        (await Delete(alice, path, PasswordAuth(session, alice.UserId, Password))).EnsureSuccessStatusCode();

        await (await phone.Http.GetAsync("/_matrix/client/v3/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
        var left = (await alice.GetJsonAsync("/_matrix/client/v3/devices"))["devices"]!.AsArray();
        Assert.Equal(alice.DeviceId, Assert.Single(left)!["device_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task delete_devices_removes_several_after_password_by_localpart()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        var laptop = await alice.LoginAgainAsync(_host);
        var devices = new[] { phone.DeviceId, laptop.DeviceId };

        var first = await alice.Http.PostAsJsonAsync("/_matrix/client/v3/delete_devices", new { devices });
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        var session = (await first.Content.ReadFromJsonAsync<JsonObject>())!["session"]!.GetValue<string>();
        var localpart = alice.UserId[1..alice.UserId.IndexOf(':')];

        await alice.PostJsonAsync("/_matrix/client/v3/delete_devices", new { devices, auth = PasswordAuth(session, localpart, Password) });

        await (await phone.Http.GetAsync("/_matrix/client/v3/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
        await (await laptop.Http.GetAsync("/_matrix/client/v3/account/whoami")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_UNKNOWN_TOKEN");
        await alice.GetJsonAsync("/_matrix/client/v3/account/whoami");
    }

    [Fact]
    public async Task another_users_password_does_not_delete_devices()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var first = await alice.Http.PostAsJsonAsync("/_matrix/client/v3/delete_devices", new { devices = new[] { phone.DeviceId } });
        var session = (await first.Content.ReadFromJsonAsync<JsonObject>())!["session"]!.GetValue<string>();

        var response = await alice.Http.PostAsJsonAsync("/_matrix/client/v3/delete_devices",
            new { devices = new[] { phone.DeviceId }, auth = PasswordAuth(session, bob.UserId, Password) });

        await response.ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_FORBIDDEN");
        await phone.GetJsonAsync("/_matrix/client/v3/account/whoami");
    }

    [Fact]
    public async Task bad_requests_are_matrix_errors()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        using var anonymous = _host.CreateClient();

        await (await anonymous.GetAsync("/_matrix/client/v3/devices")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        await (await alice.Http.PostAsJsonAsync("/_matrix/client/v3/delete_devices", new { }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_MISSING_PARAM");
        await (await alice.Http.PostAsJsonAsync("/_matrix/client/v3/delete_devices", new { devices = "ABC" }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        var garbage = new HttpRequestMessage(HttpMethod.Delete, $"/_matrix/client/v3/devices/{alice.DeviceId}")
        {
            Content = new StringContent("{nope", System.Text.Encoding.UTF8, "application/json"),
        };
        await (await alice.Http.SendAsync(garbage)).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_NOT_JSON");
    }

    static object PasswordAuth(string session, string user, string password) =>
        new { type = "m.login.password", identifier = new { type = "m.id.user", user }, password, session };

    static Task<HttpResponseMessage> Delete(MatrixTestClient client, string path, object auth) =>
        client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, path) { Content = JsonContent.Create(new { auth }) });
}
