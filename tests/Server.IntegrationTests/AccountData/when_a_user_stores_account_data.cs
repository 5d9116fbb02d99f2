using Marten;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.Matrix.AccountData;

namespace WalkieTalkie.Server.IntegrationTests.AccountData;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_user_stores_account_data(IntegrationFixture fixture)
{
    const string Content = """{"custom_account_data_key":"custom_config_value","n":1.50,"nested":{"list":[true,null,"é"]}}""";
    const string RoomId = "!726s6s6q:localhost";

    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task global_account_data_comes_back_byte_for_byte()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        (await alice.Http.PutAsync(Global(alice, "org.example.custom.config"), Json(Content))).EnsureSuccessStatusCode();

        var response = await alice.Http.GetAsync(Global(alice, "org.example.custom.config"));
        response.EnsureSuccessStatusCode();
        Assert.Equal(Content, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task room_account_data_is_separate_from_global_and_a_later_put_replaces()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        await alice.PutJsonAsync(Room(alice, RoomId, "m.tag"), new { tags = new { u1 = new { order = 0.5 } } });
        await alice.PutJsonAsync(Room(alice, RoomId, "m.tag"), new { tags = new { } });

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"tags":{}}"""), await alice.GetJsonAsync(Room(alice, RoomId, "m.tag"))));
        await (await alice.Http.GetAsync(Global(alice, "m.tag"))).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        await (await alice.Http.GetAsync(Room(alice, "!other:localhost", "m.tag"))).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task every_put_is_an_event_in_the_users_sync_stream_and_current_values_are_listed()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        await alice.PutJsonAsync(Global(alice, "m.direct"), new { });
        await alice.PutJsonAsync(Global(alice, "m.direct"), new Dictionary<string, string[]> { ["@bob:localhost"] = ["!dm:localhost"] });
        await alice.PutJsonAsync(Room(alice, RoomId, "m.tag"), new { tags = new { } });

        var store = _host.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(SyncStreams.AccountData(alice.UserId));
        Assert.Equal([("m.direct", (string?)null), ("m.direct", null), ("m.tag", RoomId)],
            events.Select(e => (((AccountDataSet)e.Data).Type, ((AccountDataSet)e.Data).RoomId)));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));

        var (global, rooms) = await AccountDataStore.CurrentAsync(session, alice.UserId, CancellationToken.None);
        Assert.Equal(["m.direct", "m.push_rules"], global.Select(e => e.Type).Order());
        Assert.Equal("!dm:localhost", global.Single(e => e.Type == "m.direct").Content.GetProperty("@bob:localhost")[0].GetString());
        Assert.Equal("m.tag", Assert.Single(rooms[RoomId]).Type);

        var (changedGlobal, changedRooms) = await AccountDataStore.ChangesAsync(session, alice.UserId,
            since: events[0].Sequence, upTo: events[1].Sequence, CancellationToken.None);
        var direct = Assert.Single(changedGlobal);
        Assert.Equal("!dm:localhost", direct.Content.GetProperty("@bob:localhost")[0].GetString());
        Assert.Empty(changedRooms);
        var (allGlobal, allRooms) = await AccountDataStore.ChangesAsync(session, alice.UserId, 0, long.MaxValue, CancellationToken.None);
        Assert.Equal("@bob:localhost", Assert.Single(allGlobal).Content.EnumerateObject().Single().Name);
        Assert.Equal("m.tag", Assert.Single(allRooms[RoomId]).Type);
    }

    [Fact]
    public async Task other_users_data_is_forbidden_and_unset_data_404()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        await alice.PutJsonAsync(Global(alice, "org.example.secret"), new { a = 1 });

        await (await bob.Http.GetAsync(Global(alice, "org.example.secret"))).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PutAsync(Global(alice, "org.example.secret"), Json("{}"))).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PutAsync(Room(alice, RoomId, "m.tag"), Json("{}"))).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.GetAsync(Room(alice, RoomId, "m.tag"))).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.GetAsync(Global(bob, "org.example.secret"))).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        using var anonymous = _host.CreateClient();
        await (await anonymous.PutAsync(Global(alice, "org.example.secret"), Json("{}"))).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    [Theory]
    [InlineData("[1,2]", "M_BAD_JSON")]
    [InlineData("\"text\"", "M_BAD_JSON")]
    [InlineData("{not json", "M_NOT_JSON")]
    [InlineData("", "M_NOT_JSON")]
    public async Task content_must_be_a_json_object(string body, string errcode)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await alice.Http.PutAsync(Global(alice, "org.example.x"), Json(body))).ShouldBeMatrixError(HttpStatusCode.BadRequest, errcode);
        await (await alice.Http.PutAsync(Room(alice, RoomId, "org.example.x"), Json(body))).ShouldBeMatrixError(HttpStatusCode.BadRequest, errcode);
    }

    [Fact]
    public async Task content_over_64_kib_is_M_TOO_LARGE()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var big = $$"""{"blob":"{{new string('x', 64 * 1024)}}"}""";

        await (await alice.Http.PutAsync(Global(alice, "org.example.big"), Json(big))).ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");
        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Put, Room(alice, RoomId, "org.example.big")) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await (await alice.Http.SendAsync(request)).ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");
    }

    [Fact]
    public async Task server_managed_types_are_405_and_room_ids_are_checked()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        await (await alice.Http.PutAsync(Room(alice, RoomId, "m.fully_read"), Json("""{"event_id":"$x"}""")))
            .ShouldBeMatrixError(HttpStatusCode.MethodNotAllowed, "M_BAD_JSON");
        await (await alice.Http.PutAsync(Global(alice, "m.fully_read"), Json("{}"))).ShouldBeMatrixError(HttpStatusCode.MethodNotAllowed, "M_BAD_JSON");
        await (await alice.Http.PutAsync(Global(alice, "m.push_rules"), Json("""{"global":{}}""")))
            .ShouldBeMatrixError(HttpStatusCode.MethodNotAllowed, "M_BAD_JSON");
        await (await alice.Http.PutAsync(Room(alice, "@notaroomid:localhost", "m.tag"), Json("{}")))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.Http.GetAsync(Room(alice, "@notaroomid:localhost", "m.tag"))).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        Assert.Equal(".m.rule.master",
            (await alice.GetJsonAsync(Global(alice, "m.push_rules")))["global"]!["override"]![0]!["rule_id"]!.GetValue<string>());
    }

    static string Global(MatrixTestClient client, string type) =>
        $"/_matrix/client/v3/user/{Uri.EscapeDataString(client.UserId)}/account_data/{type}";

    static string Room(MatrixTestClient client, string roomId, string type) =>
        $"/_matrix/client/v3/user/{Uri.EscapeDataString(client.UserId)}/rooms/{Uri.EscapeDataString(roomId)}/account_data/{type}";

    static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
