using Marten;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Matrix.Filters;

namespace WalkieTalkie.Server.IntegrationTests.Filters;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_client_uploads_a_filter(IntegrationFixture fixture)
{
    // What matrix-js-sdk uploads for a lazy-loading client, plus fields this server ignores.
    const string Filter = """{"room":{"state":{"lazy_load_members":true,"types":["m.room.*"]},"timeline":{"limit":20,"types":["m.room.message","org.matrix.msc4002.*"],"not_types":["m.room.redaction"],"unread_thread_notifications":true}},"presence":{"not_types":["*"]},"event_format":"client","org.example.future":{"x":1}}""";

    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task it_gets_an_id_that_reads_back_the_same_filter()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);

        var created = await (await alice.Http.PostAsync(FilterPath(alice), Json(Filter))).EnsureMatrixSuccess();
        var filterId = created["filter_id"]!.GetValue<string>();

        Assert.False(filterId.StartsWith('{'));
        var stored = await alice.GetJsonAsync($"{FilterPath(alice)}/{filterId}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Filter), stored), stored.ToJsonString());
    }

    [Fact]
    public async Task sync_resolves_a_stored_id_or_inline_json_to_what_it_needs()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var filterId = (await (await alice.Http.PostAsync(FilterPath(alice), Json(Filter))).EnsureMatrixSuccess())["filter_id"]!.GetValue<string>();
        await using var session = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();

        var byId = await SyncFilter.ResolveAsync(session, alice.UserId, filterId);
        var inline = await SyncFilter.ResolveAsync(session, alice.UserId, Filter);
        var none = await SyncFilter.ResolveAsync(session, alice.UserId, null);

        Assert.Equal(20, byId.TimelineLimit);
        Assert.True(byId.LazyLoadMembers);
        Assert.True(byId.IncludesTimelineType("org.matrix.msc4002.burst"));
        Assert.False(byId.IncludesTimelineType("m.room.redaction"));
        Assert.False(byId.IncludesTimelineType("m.room.member"));
        Assert.Equal(byId.TimelineLimit, inline.TimelineLimit);
        Assert.Equal(byId.TimelineTypes, inline.TimelineTypes);
        Assert.Same(SyncFilter.Default, none);
        Assert.True(none.IncludesTimelineType("m.room.member"));

        var unknown = await Assert.ThrowsAsync<MatrixException>(() => SyncFilter.ResolveAsync(session, alice.UserId, "nosuchfilter"));
        Assert.Equal("M_INVALID_PARAM", unknown.MatrixError.ErrCode);
        var otherUsers = await Assert.ThrowsAsync<MatrixException>(() => SyncFilter.ResolveAsync(session, "@someone:localhost", filterId));
        Assert.Equal("M_INVALID_PARAM", otherUsers.MatrixError.ErrCode);
        var garbage = await Assert.ThrowsAsync<MatrixException>(() => SyncFilter.ResolveAsync(session, alice.UserId, "{nope"));
        Assert.Equal("M_NOT_JSON", garbage.MatrixError.ErrCode);
    }

    [Fact]
    public async Task filters_are_private_and_unknown_ids_are_404()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var filterId = (await (await alice.Http.PostAsync(FilterPath(alice), Json("{}"))).EnsureMatrixSuccess())["filter_id"]!.GetValue<string>();

        await (await bob.Http.GetAsync($"{FilterPath(alice)}/{filterId}")).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.PostAsync(FilterPath(alice), Json("{}"))).ShouldBeMatrixError(HttpStatusCode.Forbidden, "M_FORBIDDEN");
        await (await bob.Http.GetAsync($"{FilterPath(bob)}/{filterId}")).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        using var anonymous = _host.CreateClient();
        await (await anonymous.GetAsync($"{FilterPath(alice)}/{filterId}")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    [Theory]
    [InlineData("""{"room":{"timeline":{"limit":"ten"}}}""", "M_BAD_JSON")]
    [InlineData("""{"room":{"timeline":{"limit":0}}}""", "M_BAD_JSON")]
    [InlineData("""{"room":{"state":{"lazy_load_members":"yes"}}}""", "M_BAD_JSON")]
    [InlineData("""{"room":{"timeline":{"types":[1]}}}""", "M_BAD_JSON")]
    [InlineData("""{"room":[]}""", "M_BAD_JSON")]
    [InlineData("""[]""", "M_BAD_JSON")]
    [InlineData("""{nope""", "M_NOT_JSON")]
    public async Task a_filter_of_the_wrong_shape_is_rejected(string filter, string errcode)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await alice.Http.PostAsync(FilterPath(alice), Json(filter))).ShouldBeMatrixError(HttpStatusCode.BadRequest, errcode);
    }

    static string FilterPath(MatrixTestClient client) => $"/_matrix/client/v3/user/{Uri.EscapeDataString(client.UserId)}/filter";

    static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
