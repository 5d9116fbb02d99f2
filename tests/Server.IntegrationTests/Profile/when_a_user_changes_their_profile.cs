namespace WalkieTalkie.Server.IntegrationTests.Profile;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_user_changes_their_profile(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task anyone_reads_the_profile_a_new_user_starts_with()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        using var anonymous = _host.CreateClient();

        var profile = await (await anonymous.GetAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}")).EnsureMatrixSuccess();

        Assert.Equal(alice.UserId[1..alice.UserId.IndexOf(':')], profile["displayname"]!.GetValue<string>());
        Assert.False(profile.ContainsKey("avatar_url"));
    }

    [Fact]
    public async Task display_name_and_avatar_url_are_set_and_read_back()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var path = $"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}";

        await alice.PutJsonAsync($"{path}/displayname", new { displayname = "Alice Margatroid" });
        await alice.PutJsonAsync($"{path}/avatar_url", new { avatar_url = "mxc://localhost/SDGdghriugerRg" });

        Assert.Equal("Alice Margatroid", (await bob.GetJsonAsync($"{path}/displayname"))["displayname"]!.GetValue<string>());
        Assert.Equal("mxc://localhost/SDGdghriugerRg", (await bob.GetJsonAsync($"{path}/avatar_url"))["avatar_url"]!.GetValue<string>());
        var profile = await bob.GetJsonAsync(path);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"displayname":"Alice Margatroid","avatar_url":"mxc://localhost/SDGdghriugerRg"}"""), profile));
    }

    [Fact]
    public async Task an_empty_value_clears_the_field()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var path = $"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}";
        await alice.PutJsonAsync($"{path}/avatar_url", new { avatar_url = "mxc://localhost/abc" });

        await alice.PutJsonAsync($"{path}/displayname", new { displayname = "" });
        await alice.PutJsonAsync($"{path}/avatar_url", new { avatar_url = "" });

        Assert.Empty(await alice.GetJsonAsync($"{path}/displayname"));
        Assert.Empty(await alice.GetJsonAsync($"{path}/avatar_url"));
    }

    [Fact]
    public async Task only_the_user_may_change_it_and_unknown_users_are_404()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var alicePath = $"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}";
        using var anonymous = _host.CreateClient();

        await (await bob.Http.PutAsJsonAsync($"{alicePath}/displayname", new { displayname = "Mallory" }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PutAsJsonAsync($"{alicePath}/avatar_url", new { avatar_url = "mxc://localhost/x" }))
            .ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await anonymous.PutAsJsonAsync($"{alicePath}/displayname", new { displayname = "Mallory" }))
            .ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        Assert.NotEqual("Mallory", (await alice.GetJsonAsync($"{alicePath}/displayname"))["displayname"]?.GetValue<string>());

        var nobody = $"/_matrix/client/v3/profile/{Uri.EscapeDataString("@nobody-" + Guid.NewGuid().ToString("N")[..8] + ":localhost")}";
        foreach (var path in new[] { nobody, $"{nobody}/displayname", $"{nobody}/avatar_url" })
            await (await anonymous.GetAsync(path)).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task bad_values_are_rejected()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var path = $"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}";

        await (await alice.Http.PutAsJsonAsync($"{path}/avatar_url", new { avatar_url = "not a uri" }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.Http.PutAsJsonAsync($"{path}/displayname", new { displayname = new string('x', 257) }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.Http.PutAsJsonAsync($"{path}/displayname", new { displayname = 42 }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await alice.Http.PutAsJsonAsync($"{path}/displayname", new { }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_MISSING_PARAM");
        await (await alice.Http.PutAsJsonAsync($"{path}/avatar_url", new { avatar_url = (string?)null }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_MISSING_PARAM");
    }
}
