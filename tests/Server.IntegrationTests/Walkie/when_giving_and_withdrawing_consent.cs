using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_giving_and_withdrawing_consent(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task permanent_consent_answers_a_null_expiry_and_is_mirrored_as_member_state()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true }, [bob]);

        var given = await room.ConsentAsync(bob);
        Assert.Equal($$"""{"device_id":"{{bob.DeviceId}}","expires_ts":null}""", given.ToJsonString());

        var mirrored = await room.MemberStateAsync(alice, bob);
        Assert.Equal($$"""{"device_id":"{{bob.DeviceId}}","expires_ts":null}""", mirrored.ToJsonString());
        var asEvent = await alice.GetJsonAsync(
            $"/_matrix/client/v3/rooms/{room.Id}/state/{MemberType}/{Uri.EscapeDataString($"_{bob.UserId}_{bob.DeviceId}")}?format=event");
        Assert.Equal(bob.UserId, asEvent["sender"]!.GetValue<string>());
    }

    [Fact]
    public async Task timed_consent_expires_at_now_plus_duration_and_a_renewal_replaces_it()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true });
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var given = await room.ConsentAsync(alice, 3_600_000);
        var expires = given["expires_ts"]!.GetValue<long>();
        Assert.InRange(expires, before + 3_600_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000);
        Assert.Equal(expires, (await room.MemberStateAsync(alice, alice))["expires_ts"]!.GetValue<long>());

        var renewed = await room.ConsentAsync(alice, 7_200_000);
        Assert.True(renewed["expires_ts"]!.GetValue<long>() >= expires + 3_600_000);
        Assert.Null((await room.ConsentAsync(alice))["expires_ts"]);
        Assert.Null((await room.MemberStateAsync(alice, alice))["expires_ts"]);
    }

    [Fact]
    public async Task withdrawing_answers_empty_and_empties_the_member_state_and_is_idempotent()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true });
        await room.ConsentAsync(alice, 60_000);

        Assert.Equal("{}", (await (await room.DeleteConsentAsync(alice)).EnsureMatrixSuccess()).ToJsonString());
        Assert.Equal("{}", (await room.MemberStateAsync(alice, alice)).ToJsonString());
        Assert.Equal("{}", (await (await room.DeleteConsentAsync(alice)).EnsureMatrixSuccess()).ToJsonString());
    }

    [Fact]
    public async Task consent_is_per_device()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true });
        await room.ConsentAsync(phone);

        await (await room.RequestAsync(alice)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NO_CONSENT");
        Assert.Equal("granted", (await room.RequestOkAsync(phone))["result"]!.GetValue<string>());
        await (await alice.Http.GetAsync(
                $"/_matrix/client/v3/rooms/{room.Id}/state/{MemberType}/{Uri.EscapeDataString($"_{alice.UserId}_{alice.DeviceId}")}"))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("2592000001")]
    [InlineData("1.5")]
    [InlineData("\"60000\"")]
    [InlineData("true")]
    public async Task a_bad_duration_is_M_INVALID_PARAM(string duration)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true });
        var response = await alice.Http.PutAsync($"{P}/rooms/{room.Id}/consent",
            new StringContent($$"""{"duration_ms": {{duration}}}""", System.Text.Encoding.UTF8, "application/json"));
        await response.ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.Http.GetAsync(
                $"/_matrix/client/v3/rooms/{room.Id}/state/{MemberType}/{Uri.EscapeDataString($"_{alice.UserId}_{alice.DeviceId}")}"))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task a_room_whose_power_levels_forbid_the_member_state_refuses_consent_and_keeps_none()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        // createRoom lets members send it by default; this room's creator raised it to moderators.
        var created = await alice.PostJsonAsync("/_matrix/client/v3/createRoom", new
        {
            preset = "public_chat",
            power_level_content_override = new { events = new Dictionary<string, int> { [MemberType] = 50 } },
        });
        var roomId = created["room_id"]!.GetValue<string>();
        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{roomId}/state/{ConfigType}", new { enabled = true });
        await bob.PostJsonAsync($"/_matrix/client/v3/rooms/{roomId}/join", new { });

        var refused = await (await bob.Http.PutAsJsonAsync($"{P}/rooms/{roomId}/consent", new { }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        Assert.Contains(MemberType, refused["error"]!.GetValue<string>());
        await (await bob.Http.PostAsJsonAsync($"{P}/rooms/{roomId}/floor/request", new { }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NO_CONSENT");
    }

    [Fact]
    public async Task a_room_created_with_default_power_levels_lets_members_consent()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var roomId = (await alice.PostJsonAsync("/_matrix/client/v3/createRoom", new { preset = "public_chat" }))["room_id"]!.GetValue<string>();
        await alice.PutJsonAsync($"/_matrix/client/v3/rooms/{roomId}/state/{ConfigType}", new { enabled = true });
        await bob.PostJsonAsync($"/_matrix/client/v3/rooms/{roomId}/join", new { });
        await (await bob.Http.PutAsJsonAsync($"{P}/rooms/{roomId}/consent", new { })).EnsureMatrixSuccess();
    }
}
