using Marten;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.IntegrationTests.Keys;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.IntegrationTests.Federation;

/// <summary>Profile, device keys, one-time key claims and device-list changes of users of the other server.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_users_of_the_two_servers_ask_about_each_other(IntegrationFixture fixture)
{
    [Fact]
    public async Task a_remote_profile_is_asked_of_its_server_and_an_unknown_remote_user_is_not_found()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2);
        await bob.PutJsonAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(bob.UserId)}/avatar_url", new { avatar_url = "mxc://hs2.test/abc" });

        var profile = await alice.GetJsonAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(bob.UserId)}");
        Assert.Equal(bob.UserId[1..bob.UserId.IndexOf(':')], profile["displayname"]!.GetValue<string>());
        Assert.Equal("mxc://hs2.test/abc", profile["avatar_url"]!.GetValue<string>());
        var name = await alice.GetJsonAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(bob.UserId)}/displayname");
        Assert.False(name.ContainsKey("avatar_url"));

        await (await alice.Http.GetAsync("/_matrix/client/v3/profile/%40nobody%3Ahs2.test")).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task device_keys_and_one_time_keys_of_a_remote_user_come_from_their_server_signed_as_uploaded()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2);
        var deviceKeys = KeyMaterial.DeviceKeys(bob.UserId, bob.DeviceId);
        (await bob.PostRawAsync("/_matrix/client/v3/keys/upload", $$$"""{"device_keys":{{{deviceKeys}}}}""")).EnsureSuccessStatusCode();
        var otks = await bob.UploadOneTimeKeysAsync(2);

        var query = await alice.PostJsonAsync("/_matrix/client/v3/keys/query", new
        {
            device_keys = new Dictionary<string, string[]> { [bob.UserId] = [], [alice.UserId] = [] },
        });
        var bobKeys = query["device_keys"]![bob.UserId]![bob.DeviceId]!.AsObject();
        bobKeys.Remove("unsigned");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(deviceKeys), bobKeys));
        Assert.Empty(query["failures"]!.AsObject());

        var claims = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var claim = await alice.PostJsonAsync("/_matrix/client/v3/keys/claim", new
            {
                one_time_keys = new Dictionary<string, Dictionary<string, string>> { [bob.UserId] = new() { [bob.DeviceId] = "signed_curve25519" } },
            });
            var (keyId, key) = Assert.Single(claim["one_time_keys"]![bob.UserId]![bob.DeviceId]!.AsObject());
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(otks[keyId]), key));
            claims.Add(keyId);
        }
        Assert.Equal(otks.Keys.Order(), claims.Order());

        var devices = await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Get,
            $"/_matrix/federation/v1/user/devices/{Uri.EscapeDataString(bob.UserId)}");
        var body = await devices.EnsureMatrixSuccess();
        Assert.Equal(bob.UserId, body["user_id"]!.GetValue<string>());
        var device = Assert.Single(body["devices"]!.AsArray());
        Assert.Equal(bob.DeviceId, device!["device_id"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(deviceKeys), device["keys"]));
    }

    [Fact]
    public async Task keys_of_a_server_that_is_down_are_a_failure_beside_the_answer_for_the_rest()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        await pair.StopAsync(FederationPair.Hs2Name);

        var query = await alice.PostJsonAsync("/_matrix/client/v3/keys/query", new
        {
            device_keys = new Dictionary<string, string[]> { ["@bob:hs2.test"] = [], [alice.UserId] = [] },
        });
        Assert.NotNull(query["failures"]![FederationPair.Hs2Name]);
        Assert.NotNull(query["device_keys"]![alice.UserId]);
    }

    [Fact]
    public async Task a_device_change_of_a_user_is_told_to_the_servers_sharing_a_room_and_shows_in_their_users_sync()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2);
        // The shared room as each server's membership records have it (joining over federation is the rooms part's).
        const string room = "!shared:hs1.test";
        foreach (var host in new[] { pair.Hs1, pair.Hs2 })
        {
            await using var session = host.Services.GetRequiredService<IDocumentStore>().LightweightSession();
            foreach (var user in new[] { alice.UserId, bob.UserId })
                session.Store(new RoomMember(RoomMember.Key(room, user), room, user, Memberships.Join));
            await session.SaveChangesAsync();
        }
        var since = (await bob.GetJsonAsync("/_matrix/client/v3/sync?timeout=0"))["next_batch"]!.GetValue<string>();

        (await alice.PostRawAsync("/_matrix/client/v3/keys/upload",
            $$$"""{"device_keys":{{{KeyMaterial.DeviceKeys(alice.UserId, alice.DeviceId)}}}}""")).EnsureSuccessStatusCode();

        var changed = await Eventually.GetAsync(async () =>
        {
            var sync = await bob.GetJsonAsync($"/_matrix/client/v3/sync?timeout=0&since={since}");
            return sync["device_lists"]?["changed"]?.AsArray().Select(u => u!.GetValue<string>()).ToList() ?? [];
        }, c => c.Contains(alice.UserId));
        Assert.Contains(alice.UserId, changed);
    }
}
