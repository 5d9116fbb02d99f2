namespace WalkieTalkie.Server.IntegrationTests.Capabilities;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_client_asks_for_capabilities(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task it_gets_room_version_10_and_no_password_or_3pid_changes()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        var body = await alice.GetJsonAsync("/_matrix/client/v3/capabilities");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
              "capabilities": {
                "m.change_password": { "enabled": false },
                "m.room_versions": { "default": "10", "available": { "10": "stable" } },
                "m.set_displayname": { "enabled": true },
                "m.set_avatar_url": { "enabled": true },
                "m.3pid_changes": { "enabled": false }
              }
            }
            """), body), body.ToJsonString());
    }

    [Fact]
    public async Task it_needs_an_access_token()
    {
        using var anonymous = _host.CreateClient();
        await (await anonymous.GetAsync("/_matrix/client/v3/capabilities")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }
}
