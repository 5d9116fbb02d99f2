using Marten;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.IntegrationTests.Keys;

[Collection(IntegrationCollection.Name)]
public sealed class when_device_lists_change(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;
    IDocumentStore Store => _host.Services.GetRequiredService<IDocumentStore>();

    static async Task<string> ShareRoomAsync(MatrixTestClient owner, MatrixTestClient other)
    {
        var room = await owner.CreateRoomAsync(new { invite = new[] { other.UserId } });
        await other.JoinAsync(room);
        return room;
    }

    async Task<JsonObject> ChangesAsync(MatrixTestClient client, long from, long to) =>
        await client.GetJsonAsync($"/_matrix/client/v3/keys/changes?from=s{from}&to=s{to}");

    static async Task UploadDeviceKeysAsync(MatrixTestClient client) =>
        (await client.PostRawAsync("/_matrix/client/v3/keys/upload",
            $$$"""{"device_keys":{{{KeyMaterial.DeviceKeys(client.UserId, client.DeviceId)}}}}""")).EnsureSuccessStatusCode();

    [Fact]
    public async Task key_changes_lists_users_sharing_a_room_whose_keys_changed_between_the_tokens()
    {
        var (alice, bob, carol) = (await MatrixTestClient.RegisterAsync(_host), await MatrixTestClient.RegisterAsync(_host),
            await MatrixTestClient.RegisterAsync(_host));
        await ShareRoomAsync(alice, bob);

        var from = await _host.SyncPositionAsync();
        await UploadDeviceKeysAsync(bob);
        await UploadDeviceKeysAsync(carol); // shares no room with Alice
        var to = await _host.SyncPositionAsync();
        await UploadDeviceKeysAsync(alice); // after `to`

        var changes = await ChangesAsync(alice, from, to);
        Assert.Equal([bob.UserId], changes["changed"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Empty(changes["left"]!.AsArray());
        // Own devices always count; a bare number is a token too.
        var later = await alice.GetJsonAsync($"/_matrix/client/v3/keys/changes?from={to}&to=s{await _host.SyncPositionAsync()}");
        Assert.Equal([alice.UserId], later["changed"]!.AsArray().Select(u => u!.GetValue<string>()));

        var changedForSync = await DeviceLists.ChangedAmongAsync(Store.QuerySession(), from, to, [alice.UserId, bob.UserId, carol.UserId], default);
        Assert.Equal(new[] { bob.UserId, carol.UserId }.Order(), changedForSync.Order());
    }

    [Fact]
    public async Task a_user_who_left_the_last_shared_room_is_listed_as_left()
    {
        var (alice, bob) = (await MatrixTestClient.RegisterAsync(_host), await MatrixTestClient.RegisterAsync(_host));
        var room = await ShareRoomAsync(alice, bob);
        var from = await _host.SyncPositionAsync();
        await UploadDeviceKeysAsync(alice);
        await bob.PostJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/leave", new { });
        var to = await _host.SyncPositionAsync();

        var (changed, left) = await DeviceLists.ForUserAsync(Store.QuerySession(), alice.UserId, from, to, default);
        Assert.Equal([bob.UserId], left);
        Assert.Equal([alice.UserId], changed);
    }

    [Fact]
    public async Task a_removed_device_loses_its_keys_and_its_device_list_changes()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        await UploadDeviceKeysAsync(phone);
        await phone.UploadOneTimeKeysAsync(2);
        var from = await _host.SyncPositionAsync();

        await phone.PostJsonAsync("/_matrix/client/v3/logout", new { });

        // DeviceRemoved is handled from Wolverine's durable local queue: wait for its effect.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        IReadOnlySet<string> changed;
        do
        {
            await Task.Delay(100);
            changed = await DeviceLists.ChangedAmongAsync(Store.QuerySession(), from, long.MaxValue, [alice.UserId], default);
        } while (changed.Count == 0 && DateTime.UtcNow < deadline);
        Assert.Equal([alice.UserId], changed);

        await using var session = Store.QuerySession();
        Assert.Null(await session.LoadAsync<UploadedDeviceKeys>(UploadedDeviceKeys.Key(alice.UserId, phone.DeviceId)));
        Assert.Equal(0, await session.Query<OneTimeKey>().CountAsync(k => k.UserId == alice.UserId && k.DeviceId == phone.DeviceId));
        var events = await session.Events.FetchStreamAsync(SyncStreams.DeviceList(alice.UserId));
        Assert.Equal(phone.DeviceId, Assert.IsType<DeviceListChanged>(events[^1].Data).DeviceId);
        var query = await alice.PostJsonAsync("/_matrix/client/v3/keys/query",
            new { device_keys = new Dictionary<string, string[]> { [alice.UserId] = [] } });
        Assert.Null(query["device_keys"]![alice.UserId]![phone.DeviceId]);
    }

    [Theory]
    [InlineData("from=banana&to=s1", "M_INVALID_PARAM")]
    [InlineData("from=s1&to=x2", "M_INVALID_PARAM")]
    [InlineData("to=s1", "M_MISSING_PARAM")]
    public async Task bad_tokens_are_rejected(string queryString, string errcode)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await alice.Http.GetAsync($"/_matrix/client/v3/keys/changes?{queryString}")).ShouldBeMatrixError(HttpStatusCode.BadRequest, errcode);
        using var anonymous = _host.CreateClient();
        await (await anonymous.GetAsync("/_matrix/client/v3/keys/changes?from=s1&to=s2")).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }
}
