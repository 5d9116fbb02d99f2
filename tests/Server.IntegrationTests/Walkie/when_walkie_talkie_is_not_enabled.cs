using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_walkie_talkie_is_not_enabled(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    public static TheoryData<string> Configs => new() { "none", "disabled" };

    [Theory]
    [MemberData(nameof(Configs))]
    public async Task floor_and_consent_endpoints_answer_403_NOT_ENABLED_to_members(string config)
    {
        var owner = await MatrixTestClient.RegisterAsync(_host);
        var member = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(owner, config == "none" ? null : new { enabled = false }, [member]);

        foreach (var client in new[] { owner, member })
        {
            await (await room.PutConsentAsync(client)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NOT_ENABLED");
            await (await room.DeleteConsentAsync(client)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NOT_ENABLED");
            await (await room.RequestAsync(client)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NOT_ENABLED");
            await (await room.ReleaseAsync(client, 1)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NOT_ENABLED");
            await (await client.Http.GetAsync($"{P}/rooms/{room.Id}/floor")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NOT_ENABLED");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public async Task a_non_member_gets_M_FORBIDDEN_whatever_the_configuration(string config)
    {
        var owner = await MatrixTestClient.RegisterAsync(_host);
        var stranger = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(owner, config == "none" ? new { enabled = true } : new { enabled = false });

        await (await room.PutConsentAsync(stranger)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await room.DeleteConsentAsync(stranger)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await room.RequestAsync(stranger)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await room.ReleaseAsync(stranger, 1)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await stranger.Http.GetAsync($"{P}/rooms/{room.Id}/floor")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await stranger.Http.GetAsync($"{P}/rooms/!nope:localhost/floor")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
    }

    [Fact]
    public async Task switching_it_on_with_defaults_makes_the_endpoints_answer()
    {
        var owner = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(owner, null);
        await (await room.RequestAsync(owner)).ShouldBeMatrixError(HttpStatusCode.Forbidden, "ORG.MATRIX.MSC4002_NOT_ENABLED");

        await owner.PutJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/state/{ConfigType}", new { });
        var floor = await room.FloorAsync(owner);
        Assert.Equal("idle", State(floor));
        Assert.Equal(0, Epoch(floor));
        Assert.Empty(floor["queue"]!.AsArray());
    }
}
