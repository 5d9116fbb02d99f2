using System.Collections.Concurrent;
using Marten;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.IntegrationTests.Keys;

[Collection(IntegrationCollection.Name)]
public sealed class when_one_time_keys_are_claimed(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    static object Claim(MatrixTestClient target) => new
    {
        one_time_keys = new Dictionary<string, Dictionary<string, string>> { [target.UserId] = new() { [target.DeviceId] = "signed_curve25519" } },
    };

    static JsonObject? ClaimedKeys(JsonObject response, MatrixTestClient target) =>
        response["one_time_keys"]![target.UserId]?[target.DeviceId]?.AsObject();

    [Fact]
    public async Task each_key_is_handed_out_once_in_upload_order_and_then_the_fallback_key_again_and_again()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var keys = await alice.UploadOneTimeKeysAsync(2);
        var fallback = KeyMaterial.SignedKey(alice.UserId, alice.DeviceId, fallback: true);
        (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", $$$"""{"fallback_keys":{"signed_curve25519:FB":{{{fallback}}}}}"""))
            .EnsureSuccessStatusCode();

        var responses = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var response = await bob.Http.PostAsJsonAsync("/_matrix/client/v3/keys/claim", Claim(alice));
            responses.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Contains($"\"signed_curve25519:K0\":{keys["signed_curve25519:K0"]}", responses[0]);
        Assert.Contains($"\"signed_curve25519:K1\":{keys["signed_curve25519:K1"]}", responses[1]);
        Assert.Contains($"\"signed_curve25519:FB\":{fallback}", responses[2]);
        Assert.Contains($"\"signed_curve25519:FB\":{fallback}", responses[3]);
        Assert.Empty(JsonNode.Parse(responses[3])!["failures"]!.AsObject());

        var (counts, unusedFallbacks) = await KeyCounts.ForDeviceAsync(_host.Services.GetRequiredService<IDocumentStore>().QuerySession(),
            new(alice.UserId, alice.DeviceId), default);
        Assert.Equal(0, counts["signed_curve25519"]);
        Assert.Empty(unusedFallbacks);
    }

    [Fact]
    public async Task a_device_without_keys_or_an_unknown_user_is_left_out()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var response = await bob.PostJsonAsync("/_matrix/client/v3/keys/claim", new
        {
            one_time_keys = new Dictionary<string, Dictionary<string, string>>
            {
                [alice.UserId] = new() { [alice.DeviceId] = "signed_curve25519" },
                ["@nobody:localhost"] = new() { ["X"] = "signed_curve25519" },
            },
        });
        Assert.Empty(response["one_time_keys"]!.AsObject());
        Assert.Empty(response["failures"]!.AsObject());
    }

    [Fact]
    public async Task claims_need_a_token_and_a_well_formed_body()
    {
        using var anonymous = _host.CreateClient();
        await (await anonymous.PostAsJsonAsync("/_matrix/client/v3/keys/claim", new { one_time_keys = new { } }))
            .ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        var bob = await MatrixTestClient.RegisterAsync(_host);
        await (await bob.PostRawAsync("/_matrix/client/v3/keys/claim", """{"one_time_keys":{"@a:localhost":["DEV"]}}"""))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await bob.PostRawAsync("/_matrix/client/v3/keys/claim", "{}"))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }

    [Fact]
    public async Task parallel_claims_never_hand_out_a_key_twice()
    {
        const int keyCount = 12, claimers = 6, claimsEach = 4; // 24 claims race for 12 keys
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var keys = await alice.UploadOneTimeKeysAsync(keyCount);
        var fallback = KeyMaterial.SignedKey(alice.UserId, alice.DeviceId, fallback: true);
        (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", $$$"""{"fallback_keys":{"signed_curve25519:FB":{{{fallback}}}}}"""))
            .EnsureSuccessStatusCode();
        var bobs = await Task.WhenAll(Enumerable.Range(0, claimers).Select(_ => MatrixTestClient.RegisterAsync(_host)));

        var handedOut = new ConcurrentBag<string>();
        await Task.WhenAll(bobs.Select(async bob =>
        {
            for (var i = 0; i < claimsEach; i++)
            {
                var response = await bob.PostJsonAsync("/_matrix/client/v3/keys/claim", Claim(alice));
                handedOut.Add(Assert.Single(ClaimedKeys(response, alice)!).Key);
            }
        }));

        var oneTime = handedOut.Where(k => k != "signed_curve25519:FB").ToList();
        Assert.Equal(oneTime.Count, oneTime.Distinct().Count());
        Assert.Equal(keys.Keys.Order(), oneTime.Order());
        Assert.Equal(claimers * claimsEach - keyCount, handedOut.Count(k => k == "signed_curve25519:FB"));
    }
}
