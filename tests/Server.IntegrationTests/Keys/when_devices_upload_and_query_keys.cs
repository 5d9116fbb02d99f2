namespace WalkieTalkie.Server.IntegrationTests.Keys;

[Collection(IntegrationCollection.Name)]
public sealed class when_devices_upload_and_query_keys(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    [Fact]
    public async Task uploaded_device_keys_come_back_byte_for_byte()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var deviceKeys = KeyMaterial.DeviceKeys(alice.UserId, alice.DeviceId).Trim();

        var upload = await (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", $$$"""{"device_keys":{{{deviceKeys}}}}"""))
            .EnsureMatrixSuccess();
        Assert.Equal(0, upload["one_time_key_counts"]!["signed_curve25519"]!.GetValue<int>());

        var response = await bob.PostRawAsync("/_matrix/client/v3/keys/query", $$$"""{"device_keys":{"{{{alice.UserId}}}":[]}}""");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        // Registered without a display name, so nothing is added: the very text the device signed.
        Assert.Contains($"\"{alice.DeviceId}\":{deviceKeys}", text);
        var body = JsonNode.Parse(text)!;
        Assert.Empty(body["failures"]!.AsObject());
        Assert.Empty(body["master_keys"]!.AsObject());
    }

    [Fact]
    public async Task the_device_display_name_is_added_as_unsigned_and_the_signed_part_is_unchanged()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var deviceKeys = KeyMaterial.DeviceKeys(alice.UserId, alice.DeviceId);
        (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", $$$"""{"device_keys":{{{deviceKeys}}}}""")).EnsureSuccessStatusCode();
        await using (var session = _host.Services.GetRequiredService<Marten.IDocumentStore>().LightweightSession())
        {
            var stored = await session.LoadAsync<Server.Matrix.Account.UserDevice>(Server.Matrix.Account.UserDevice.Key(alice.UserId, alice.DeviceId));
            session.Store(stored! with { DisplayName = "Alice’s phone" });
            await session.SaveChangesAsync();
        }

        var response = await alice.PostRawAsync("/_matrix/client/v3/keys/query",
            $$$"""{"device_keys":{"{{{alice.UserId}}}":["{{{alice.DeviceId}}}"]}}""");
        var text = await response.Content.ReadAsStringAsync();
        var device = JsonNode.Parse(text)!["device_keys"]![alice.UserId]![alice.DeviceId]!.AsObject();
        Assert.Equal("Alice’s phone", device["unsigned"]!["device_display_name"]!.GetValue<string>());
        device.Remove("unsigned");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(deviceKeys), device));
        // Base64 stays literal even where the object had to be rewritten.
        Assert.DoesNotContain("\\u002B", text);
    }

    [Fact]
    public async Task one_time_and_fallback_keys_are_counted_and_a_retry_of_the_same_upload_is_harmless()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var keys = await alice.UploadOneTimeKeysAsync(3);
        var fallback = KeyMaterial.SignedKey(alice.UserId, alice.DeviceId, fallback: true);
        var body = "{\"one_time_keys\":{" + string.Join(",", keys.Select(k => $"\"{k.Key}\":{k.Value}")) + "},"
                   + $"\"fallback_keys\":{{\"signed_curve25519:F1\":{fallback}}}}}";

        var again = await (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", body)).EnsureMatrixSuccess();

        Assert.Equal(3, again["one_time_key_counts"]!["signed_curve25519"]!.GetValue<int>());
        var (counts, unused) = await Server.Matrix.Keys.KeyCounts.ForDeviceAsync(
            _host.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession(), new(alice.UserId, alice.DeviceId), default);
        Assert.Equal(3, counts["signed_curve25519"]);
        Assert.Equal(["signed_curve25519"], unused);
    }

    [Fact]
    public async Task a_different_key_under_an_existing_one_time_key_id_is_refused()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await alice.UploadOneTimeKeysAsync(1);
        var other = $$$"""{"one_time_keys":{"signed_curve25519:K0":{{{KeyMaterial.SignedKey(alice.UserId, alice.DeviceId)}}}}}""";
        await (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", other)).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_UNKNOWN");
    }

    [Theory]
    [InlineData("user")]
    [InlineData("device")]
    public async Task device_keys_of_another_user_or_device_are_M_BAD_JSON(string mismatch)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var keys = mismatch == "user"
            ? KeyMaterial.DeviceKeys("@mallory:localhost", alice.DeviceId)
            : KeyMaterial.DeviceKeys(alice.UserId, "OTHERDEVICE");
        await (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", $$$"""{"device_keys":{{{keys}}}}"""))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }

    [Theory]
    [InlineData("""{"one_time_keys":{"no_colon":{"key":"x","signatures":{}}}}""")]
    [InlineData("""{"one_time_keys":[1,2]}""")]
    [InlineData("""{"device_keys":{"user_id":"@a:localhost"}}""")]
    public async Task malformed_uploads_are_M_BAD_JSON(string body)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await alice.PostRawAsync("/_matrix/client/v3/keys/upload", body)).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
    }

    [Fact]
    public async Task query_only_returns_the_devices_asked_for_and_skips_unknown_users()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var phone = await alice.LoginAgainAsync(_host);
        foreach (var device in new[] { alice, phone })
            (await device.PostRawAsync("/_matrix/client/v3/keys/upload",
                $$$"""{"device_keys":{{{KeyMaterial.DeviceKeys(device.UserId, device.DeviceId)}}}}""")).EnsureSuccessStatusCode();

        var body = await alice.PostJsonAsync("/_matrix/client/v3/keys/query", new
        {
            device_keys = new Dictionary<string, string[]>
            {
                [alice.UserId] = [phone.DeviceId], ["@nobody:localhost"] = [], ["@someone:elsewhere.example"] = [],
            },
        });
        Assert.Equal([phone.DeviceId], body["device_keys"]![alice.UserId]!.AsObject().Select(d => d.Key));
        Assert.Empty(body["device_keys"]!["@nobody:localhost"]!.AsObject());
        Assert.Null(body["device_keys"]!["@someone:elsewhere.example"]);
    }

    [Fact]
    public async Task a_query_for_remote_users_only_is_an_empty_answer()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var body = await alice.PostJsonAsync("/_matrix/client/v3/keys/query",
            new { device_keys = new Dictionary<string, string[]> { ["@someone:elsewhere.example"] = [] } });
        Assert.Empty(body["device_keys"]!.AsObject());
        Assert.Empty(body["self_signing_keys"]!.AsObject());
    }

    [Fact]
    public async Task keys_endpoints_need_an_access_token_and_a_device_keys_object()
    {
        using var anonymous = _host.CreateClient();
        await (await anonymous.PostAsJsonAsync("/_matrix/client/v3/keys/upload", new { }))
            .ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        await (await anonymous.PostAsJsonAsync("/_matrix/client/v3/keys/query", new { device_keys = new { } }))
            .ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await alice.PostRawAsync("/_matrix/client/v3/keys/query", """{"device_keys":{"@a:localhost":"all"}}"""))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await alice.PostRawAsync("/_matrix/client/v3/keys/query", "{not json"))
            .ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_NOT_JSON");
    }

    [Fact]
    public async Task there_is_no_key_backup()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var error = await (await alice.Http.GetAsync("/_matrix/client/v3/room_keys/version"))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        Assert.Equal("No current backup version", error["error"]!.GetValue<string>());
    }
}
