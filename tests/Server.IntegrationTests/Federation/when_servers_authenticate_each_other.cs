using WalkieTalkie.Server.Federation.Crypto;
using WalkieTalkie.Server.Federation.Keys;
using WalkieTalkie.Server.Federation.Transport;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

namespace WalkieTalkie.Server.IntegrationTests.Federation;

/// <summary>Server keys and X-Matrix request authentication between two real servers (spec: Request Authentication).</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_servers_authenticate_each_other(IntegrationFixture fixture)
{
    [Fact]
    public async Task each_publishes_a_self_signed_key_the_other_fetches_and_keeps_and_signed_requests_are_answered()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        using var anonymous = pair.Hs2.CreateClient();

        var published = await (await anonymous.GetAsync("/_matrix/key/v2/server")).EnsureMatrixSuccess();
        var set = ServerKeySet.Parse(FederationPair.Hs2Name, published, out var why);
        Assert.True(set is not null, why);
        Assert.True(published["valid_until_ts"]!.GetValue<long>() > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.IsType<JsonObject>(published["old_verify_keys"]);
        var hs2Key = await SignedRequest.KeyOf(pair.Hs2);
        Assert.Equal(hs2Key.PublicKeyBase64, published["verify_keys"]![hs2Key.KeyId]!["key"]!.GetValue<string>());
        Assert.StartsWith("ed25519:", hs2Key.KeyId);

        var fetched = await pair.Hs1.Services.GetRequiredService<PeerKeys>().FindAsync(FederationPair.Hs2Name, hs2Key.KeyId, default);
        Assert.Equal(hs2Key.PublicKey, fetched!.Key);
        await using (var session = pair.Hs1.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession())
            Assert.NotNull(await session.LoadAsync<CachedServerKeys>(FederationPair.Hs2Name));

        var alice = await MatrixTestClient.RegisterAsync(pair.Hs2);
        await alice.PutJsonAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}/displayname", new { displayname = "Alice" });
        var profile = await pair.Hs1.Services.GetRequiredService<FederationClient>().GetJsonAsync(FederationPair.Hs2Name,
            $"/_matrix/federation/v1/query/profile?user_id={Uri.EscapeDataString(alice.UserId)}", default);
        Assert.Equal("Alice", profile["displayname"]!.GetValue<string>());

        // hs1 as notary: hs2's answer, signed by hs2 and now also by hs1.
        using var toHs1 = pair.Hs1.CreateClient();
        var notarised = await (await toHs1.PostAsJsonAsync("/_matrix/key/v2/query",
            new { server_keys = new Dictionary<string, object> { [FederationPair.Hs2Name] = new { } } })).EnsureMatrixSuccess();
        var answer = Assert.Single(notarised["server_keys"]!.AsArray())!.AsObject();
        var hs1Key = await SignedRequest.KeyOf(pair.Hs1);
        Assert.True(JsonSigning.Verify(answer, FederationPair.Hs2Name, hs2Key.KeyId, hs2Key.PublicKey));
        Assert.True(JsonSigning.Verify(answer, FederationPair.Hs1Name, hs1Key.KeyId, hs1Key.PublicKey));

        var version = await (await anonymous.GetAsync("/_matrix/federation/v1/version")).EnsureMatrixSuccess();
        Assert.Equal("WalkieTalkie", version["server"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task unsigned_forged_misaddressed_and_impostor_requests_are_refused_with_m_unauthorized()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs2);
        var path = $"/_matrix/federation/v1/query/profile?user_id={Uri.EscapeDataString(alice.UserId)}";
        var hs1Key = await SignedRequest.KeyOf(pair.Hs1);

        Assert.Equal(HttpStatusCode.OK, (await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Get, path)).StatusCode);

        using (var anonymous = pair.Hs2.CreateClient())
            await AssertUnauthorized(await anonymous.GetAsync(path));

        // Same key id as hs1's, different key: the signature does not verify with the key hs1 publishes.
        using var forger = Ed25519Key.FromSeed(hs1Key.KeyId, Ed25519Key.NewSeed());
        await AssertUnauthorized(await SignedRequest.SendAsync(pair.Hs2, HttpMethod.Get, path, FederationPair.Hs1Name, FederationPair.Hs2Name, forger));

        // Signed for another path than the one requested.
        await AssertUnauthorized(await SignedRequestFor(pair, path, path + "&field=displayname", hs1Key));

        // Signed for, and addressed to, another server.
        await AssertUnauthorized(await SignedRequest.SendAsync(pair.Hs2, HttpMethod.Get, path, FederationPair.Hs1Name, "hs3.test", hs1Key));

        // A name whose key answer comes from a server of another name: its keys are refused.
        await AssertUnauthorized(await SignedRequest.SendAsync(pair.Hs2, HttpMethod.Get, path, FederationPair.ImpostorName, FederationPair.Hs2Name, hs1Key));

        // A body other than the one signed.
        var body = new JsonObject { ["pdus"] = new JsonArray(), ["edus"] = new JsonArray() };
        await AssertUnauthorized(await SignedRequest.SendAsync(pair.Hs2, HttpMethod.Put, "/_matrix/federation/v1/send/t1", FederationPair.Hs1Name,
            FederationPair.Hs2Name, hs1Key, body, signedContent: new JsonObject { ["pdus"] = new JsonArray() }));
    }

    static async Task<HttpResponseMessage> SignedRequestFor(FederationPair pair, string requested, string signed, Ed25519Key key)
    {
        using var client = pair.Hs2.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, requested);
        var header = RequestSigning.Sign("GET", signed, FederationPair.Hs1Name, FederationPair.Hs2Name, null, key);
        request.Headers.TryAddWithoutValidation("Authorization", header.ToString());
        return await client.SendAsync(request);
    }

    static async Task AssertUnauthorized(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("M_UNAUTHORIZED", error!["errcode"]!.GetValue<string>());
    }
}
