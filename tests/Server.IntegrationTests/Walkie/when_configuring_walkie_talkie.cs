using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Walkie;

[Collection(IntegrationCollection.Name)]
public sealed class when_configuring_walkie_talkie(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    Task<HttpResponseMessage> PutConfigAsync(MatrixTestClient client, string roomId, string json) =>
        client.Http.PutAsync($"/_matrix/client/v3/rooms/{roomId}/state/{ConfigType}",
            new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    [Theory]
    [InlineData("""{"enabled": "yes"}""")]
    [InlineData("""{"max_talk_ms": -1}""")]
    [InlineData("""{"max_talk_ms": 0}""")]
    [InlineData("""{"end_of_media_ms": "4000"}""")]
    [InlineData("""{"end_of_media_ms": 1.5}""")]
    [InlineData("""{"queue": 1}""")]
    [InlineData("""{"preempt_power_level": "50"}""")]
    [InlineData("""{"recording": "cloud"}""")]
    [InlineData("""{"session_gap_ms": -600000}""")]
    public async Task unusable_content_is_M_BAD_JSON_and_not_stored(string json)
    {
        var owner = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(owner, new { enabled = true, max_talk_ms = 10_000 });
        await (await PutConfigAsync(owner, room.Id, json)).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        Assert.Equal(10_000, (await owner.GetJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/state/{ConfigType}"))["max_talk_ms"]!.GetValue<int>());
    }

    [Fact]
    public async Task server_recording_and_encryption_exclude_each_other()
    {
        var owner = await MatrixTestClient.RegisterAsync(_host);
        var encrypted = await WalkieRoom.CreateAsync(owner, new { enabled = true });
        await owner.PutJsonAsync($"/_matrix/client/v3/rooms/{encrypted.Id}/state/m.room.encryption", new { algorithm = "m.megolm.v1.aes-sha2" });
        var refused = await (await PutConfigAsync(owner, encrypted.Id, """{"recording": "server"}"""))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED");
        Assert.Contains("encrypted", refused["error"]!.GetValue<string>());
        await (await PutConfigAsync(owner, encrypted.Id, """{"recording": "client"}""")).EnsureMatrixSuccess();

        var recorded = await WalkieRoom.CreateAsync(owner, new { enabled = true, recording = "server" });
        await (await owner.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{recorded.Id}/state/m.room.encryption",
                new { algorithm = "m.megolm.v1.aes-sha2" }))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED");
    }

    [Fact]
    public async Task only_users_the_power_levels_allow_may_change_it()
    {
        var owner = await MatrixTestClient.RegisterAsync(_host);
        var member = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(owner, new { enabled = true }, [member]);
        await (await PutConfigAsync(member, room.Id, """{"enabled": false}""")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await room.ConsentAsync(member);
    }

    [Fact]
    public async Task the_room_settings_drive_the_floor()
    {
        var owner = await MatrixTestClient.RegisterAsync(_host);
        var member = await MatrixTestClient.RegisterAsync(_host);
        var room = await WalkieRoom.CreateAsync(owner, new { enabled = true, max_talk_ms = 5_000, queue = false }, [member]);
        await room.ConsentAsync(owner);
        await room.ConsentAsync(member);
        var granted = await room.RequestOkAsync(owner);
        var floor = await room.FloorAsync(owner);
        Assert.Equal(5_000, granted["expires_ts"]!.GetValue<long>() - floor["granted_ts"]!.GetValue<long>());
        await (await room.RequestAsync(member)).ShouldBeMatrixError(HttpStatusCode.Conflict, "ORG.MATRIX.MSC4002_FLOOR_TAKEN");
    }
}
