namespace WalkieTalkie.Server.IntegrationTests.Keys;

[Collection(IntegrationCollection.Name)]
public sealed class when_cross_signing_keys_are_uploaded(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;
    const string Upload = "/_matrix/client/v3/keys/device_signing/upload";

    sealed record CrossSigning(string Master, string SelfSigning, string UserSigning, string MasterJson, string SelfSigningJson, string UserSigningJson)
    {
        public string Body(string? auth = null) =>
            $$$"""{"master_key":{{{MasterJson}}},"self_signing_key":{{{SelfSigningJson}}},"user_signing_key":{{{UserSigningJson}}}{{{(auth is null ? "" : ",\"auth\":" + auth)}}}}""";
    }

    static CrossSigning NewKeys(string userId)
    {
        var (master, selfSigning, userSigning) = (KeyMaterial.B64(), KeyMaterial.B64(), KeyMaterial.B64());
        return new(master, selfSigning, userSigning,
            KeyMaterial.CrossSigningKey(userId, "master", master),
            KeyMaterial.CrossSigningKey(userId, "self_signing", selfSigning, signedByMaster: master),
            KeyMaterial.CrossSigningKey(userId, "user_signing", userSigning, signedByMaster: master));
    }

    [Fact]
    public async Task the_first_upload_needs_no_auth_and_query_shows_user_signing_keys_only_to_their_owner()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var keys = NewKeys(alice.UserId);

        await (await alice.PostRawAsync(Upload, keys.Body())).EnsureMatrixSuccess();

        var query = $$$"""{"device_keys":{"{{{alice.UserId}}}":[]}}""";
        var own = await (await alice.PostRawAsync("/_matrix/client/v3/keys/query", query)).Content.ReadAsStringAsync();
        Assert.Contains($"\"{alice.UserId}\":{keys.MasterJson}", own);
        Assert.Contains($"\"{alice.UserId}\":{keys.SelfSigningJson}", own);
        Assert.Contains($"\"{alice.UserId}\":{keys.UserSigningJson}", own);

        var bobs = JsonNode.Parse(await (await bob.PostRawAsync("/_matrix/client/v3/keys/query", query)).Content.ReadAsStringAsync())!;
        Assert.NotNull(bobs["master_keys"]![alice.UserId]);
        Assert.NotNull(bobs["self_signing_keys"]![alice.UserId]);
        Assert.Null(bobs["user_signing_keys"]![alice.UserId]);
    }

    [Fact]
    public async Task sending_the_same_keys_again_is_fine_but_replacing_them_needs_the_password()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var keys = NewKeys(alice.UserId);
        await (await alice.PostRawAsync(Upload, keys.Body())).EnsureMatrixSuccess();
        await (await alice.PostRawAsync(Upload, keys.Body())).EnsureMatrixSuccess();

        var reset = NewKeys(alice.UserId);
        var challenge = await alice.PostRawAsync(Upload, reset.Body());
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        var flows = JsonNode.Parse(await challenge.Content.ReadAsStringAsync())!;
        Assert.Equal("m.login.password", flows["flows"]![0]!["stages"]![0]!.GetValue<string>());
        var session = flows["session"]!.GetValue<string>();

        string Auth(string password) =>
            $$$"""{"type":"m.login.password","identifier":{"type":"m.id.user","user":"{{{alice.UserId}}}"},"password":"{{{password}}}","session":"{{{session}}}"}""";
        var wrong = await alice.PostRawAsync(Upload, reset.Body(Auth("wrong")));
        await wrong.ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_FORBIDDEN");
        await (await alice.PostRawAsync(Upload, reset.Body(Auth("correct horse")))).EnsureMatrixSuccess();

        var query = await alice.PostJsonAsync("/_matrix/client/v3/keys/query",
            new { device_keys = new Dictionary<string, string[]> { [alice.UserId] = [] } });
        Assert.Equal(reset.Master, query["master_keys"]![alice.UserId]!["keys"]![$"ed25519:{reset.Master}"]!.GetValue<string>());
    }

    [Fact]
    public async Task keys_of_another_user_or_not_signed_by_the_master_key_are_refused()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var master = KeyMaterial.B64();
        await (await alice.PostRawAsync(Upload, $$$"""{"master_key":{{{KeyMaterial.CrossSigningKey("@bob:localhost", "master", master)}}}}"""))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_PARAM");
        await (await alice.PostRawAsync(Upload, $$$"""{"self_signing_key":{{{KeyMaterial.CrossSigningKey(alice.UserId, "self_signing", KeyMaterial.B64(), master)}}}}"""))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_MISSING_PARAM");
        var unsigned = $$$"""{"master_key":{{{KeyMaterial.CrossSigningKey(alice.UserId, "master", master)}}},"self_signing_key":{{{KeyMaterial.CrossSigningKey(alice.UserId, "self_signing", KeyMaterial.B64())}}}}""";
        await (await alice.PostRawAsync(Upload, unsigned)).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_INVALID_SIGNATURE");
        using var anonymous = _host.CreateClient();
        await (await anonymous.PostAsJsonAsync(Upload, new { })).ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    [Fact]
    public async Task uploaded_signatures_are_merged_into_query_results_and_mismatched_objects_fail()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var keys = NewKeys(alice.UserId);
        var deviceKeys = KeyMaterial.DeviceKeys(alice.UserId, alice.DeviceId);
        (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", $$$"""{"device_keys":{{{deviceKeys}}}}""")).EnsureSuccessStatusCode();
        await (await alice.PostRawAsync(Upload, keys.Body())).EnsureMatrixSuccess();
        var bobKeys = NewKeys(bob.UserId);
        await (await bob.PostRawAsync(Upload, bobKeys.Body())).EnsureMatrixSuccess();

        // Alice's self-signing key signs her device; her user-signing key signs Bob's master key.
        var deviceSignature = KeyMaterial.B64(64);
        var signedDevice = JsonNode.Parse(deviceKeys)!.AsObject();
        signedDevice["signatures"] = new JsonObject { [alice.UserId] = new JsonObject { [$"ed25519:{keys.SelfSigning}"] = deviceSignature } };
        var bobMasterSignature = KeyMaterial.B64(64);
        var signedBobMaster = JsonNode.Parse(bobKeys.MasterJson)!.AsObject();
        signedBobMaster["signatures"] = new JsonObject { [alice.UserId] = new JsonObject { [$"ed25519:{keys.UserSigning}"] = bobMasterSignature } };
        var forged = JsonNode.Parse(KeyMaterial.DeviceKeys(alice.UserId, alice.DeviceId))!.AsObject();

        var result = await alice.PostJsonAsync("/_matrix/client/v3/keys/signatures/upload", new Dictionary<string, object>
        {
            [alice.UserId] = new Dictionary<string, JsonNode> { [alice.DeviceId] = signedDevice, ["NOSUCHDEVICE"] = signedDevice.DeepClone() },
            [bob.UserId] = new Dictionary<string, JsonNode> { [bobKeys.Master] = signedBobMaster },
        });
        Assert.Equal("M_NOT_FOUND", result["failures"]![alice.UserId]!["NOSUCHDEVICE"]!["errcode"]!.GetValue<string>());
        Assert.Null(result["failures"]![bob.UserId]);

        var bad = await alice.PostJsonAsync("/_matrix/client/v3/keys/signatures/upload", new Dictionary<string, object>
        {
            [alice.UserId] = new Dictionary<string, JsonNode> { [alice.DeviceId] = forged },
        });
        Assert.Equal("M_INVALID_SIGNATURE", bad["failures"]![alice.UserId]![alice.DeviceId]!["errcode"]!.GetValue<string>());

        var query = new { device_keys = new Dictionary<string, string[]> { [alice.UserId] = [], [bob.UserId] = [] } };
        var seenByAlice = await alice.PostJsonAsync("/_matrix/client/v3/keys/query", query);
        var device = seenByAlice["device_keys"]![alice.UserId]![alice.DeviceId]!;
        Assert.Equal(deviceSignature, device["signatures"]![alice.UserId]![$"ed25519:{keys.SelfSigning}"]!.GetValue<string>());
        Assert.NotNull(device["signatures"]![alice.UserId]![$"ed25519:{alice.DeviceId}"]);
        Assert.Equal(bobMasterSignature,
            seenByAlice["master_keys"]![bob.UserId]!["signatures"]![alice.UserId]![$"ed25519:{keys.UserSigning}"]!.GetValue<string>());

        // Alice's signature on Bob's master key is hers alone to see.
        var seenByBob = await bob.PostJsonAsync("/_matrix/client/v3/keys/query", query);
        Assert.Null(seenByBob["master_keys"]![bob.UserId]!["signatures"]?[alice.UserId]);
        Assert.NotNull(seenByBob["device_keys"]![alice.UserId]![alice.DeviceId]!["signatures"]![alice.UserId]![$"ed25519:{keys.SelfSigning}"]);
    }
}
