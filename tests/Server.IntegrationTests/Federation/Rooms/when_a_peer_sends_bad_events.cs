using WalkieTalkie.Server.Federation.Crypto;
using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Rooms;

/// <summary>Hand-made PDUs from hs2 to hs1 through /send: forged, altered and unauthorized events are refused and never served.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_a_peer_sends_bad_events(IntegrationFixture fixture)
{
    sealed record Setup(FederationPair Pair, MatrixTestClient Alice, MatrixTestClient Bob, string Room);

    static async Task<Setup> ArrangeAsync(FederationPair pair)
    {
        var (alice, bob, room) = await pair.SharedRoomAsync();
        return new(pair, alice, bob, room);
    }

    static Task<JsonObject> DraftOnHs2Async(Setup s, string sender, string type, string? stateKey, JsonObject content) =>
        s.Pair.DraftOnHs2Async(s.Room, sender, type, stateKey, content);

    static Task<(string EventId, JsonObject Result)> SendAsync(Setup s, JsonObject pdu) => s.Pair.SendAsHs2Async(s.Pair.Hs1, pdu);

    static async Task AssertNeverServedAsync(Setup s, string eventId, string body)
    {
        var fetched = await SignedRequest.SendAsync(s.Pair.Hs2, s.Pair.Hs1, HttpMethod.Get, $"/_matrix/federation/v1/event/{Uri.EscapeDataString(eventId)}");
        Assert.Equal(HttpStatusCode.NotFound, fetched.StatusCode);
        await (await s.Alice.Http.GetAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(s.Room)}/event/{Uri.EscapeDataString(eventId)}"))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
        var messages = await s.Alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(s.Room)}/messages?dir=b&limit=100");
        Assert.DoesNotContain(messages["chunk"]!.AsArray(), e => e!["content"]?["body"]?.GetValue<string>() == body);
    }

    [Fact]
    public async Task a_well_formed_event_is_accepted_but_a_bad_signature_or_a_foreign_sender_is_refused()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var s = await ArrangeAsync(pair);
        using var hs2Key = await SignedRequest.KeyOf(pair.Hs2);

        var good = await DraftOnHs2Async(s, s.Bob.UserId, EventTypes.Message, null, new JsonObject { ["msgtype"] = "m.text", ["body"] = "signed" });
        var (goodId, accepted) = await SendAsync(s, PduFactory.Seal(good, "10", FederationPair.Hs2Name, hs2Key).Pdu);
        Assert.Null(accepted["error"]);
        Assert.Equal(s.Bob.UserId, (await s.Alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(s.Room)}/event/{Uri.EscapeDataString(goodId)}"))["sender"]!.GetValue<string>());

        using var forger = Ed25519Key.FromSeed(hs2Key.KeyId, Ed25519Key.NewSeed());
        var forged = await DraftOnHs2Async(s, s.Bob.UserId, EventTypes.Message, null, new JsonObject { ["msgtype"] = "m.text", ["body"] = "forged" });
        var (forgedId, refused) = await SendAsync(s, PduFactory.Seal(forged, "10", FederationPair.Hs2Name, forger).Pdu);
        Assert.Contains("not signed by hs2.test", refused["error"]!.GetValue<string>());
        await AssertNeverServedAsync(s, forgedId, "forged");

        // hs2 may not speak for hs1's users: the sender's server must sign.
        var impersonation = await DraftOnHs2Async(s, s.Alice.UserId, EventTypes.Message, null, new JsonObject { ["msgtype"] = "m.text", ["body"] = "impersonated" });
        var (impersonatedId, refusedToo) = await SendAsync(s, PduFactory.Seal(impersonation, "10", FederationPair.Hs2Name, hs2Key).Pdu);
        Assert.Contains("not signed by hs1.test", refusedToo["error"]!.GetValue<string>());
        await AssertNeverServedAsync(s, impersonatedId, "impersonated");
    }

    [Fact]
    public async Task content_altered_after_signing_fails_its_hash_and_is_kept_only_redacted()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var s = await ArrangeAsync(pair);
        using var hs2Key = await SignedRequest.KeyOf(pair.Hs2);

        var pdu = PduFactory.Seal(await DraftOnHs2Async(s, s.Bob.UserId, EventTypes.Message, null,
            new JsonObject { ["msgtype"] = "m.text", ["body"] = "original" }), "10", FederationPair.Hs2Name, hs2Key).Pdu;
        // The signature covers the redacted event (hashes, not content): altering content leaves it valid but breaks the hash.
        pdu["content"]!["body"] = "altered";
        var (eventId, result) = await SendAsync(s, pdu);
        Assert.Null(result["error"]);

        var messages = await s.Alice.GetJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(s.Room)}/messages?dir=b&limit=100");
        Assert.DoesNotContain(messages["chunk"]!.AsArray(), e => e!["content"]?["body"]?.GetValue<string>() is "altered" or "original");
        var stored = await SignedRequest.SendAsync(pair.Hs2, pair.Hs1, HttpMethod.Get, $"/_matrix/federation/v1/event/{Uri.EscapeDataString(eventId)}");
        Assert.Empty((await stored.EnsureMatrixSuccess())["pdus"]![0]!["content"]!.AsObject());
    }

    [Fact]
    public async Task events_failing_the_auth_rules_are_rejected_and_the_state_stays()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var s = await ArrangeAsync(pair);
        using var hs2Key = await SignedRequest.KeyOf(pair.Hs2);
        var stateBefore = await s.Alice.StateIdsAsync(s.Room);

        // Bob (level 0) makes himself an admin.
        var coup = await DraftOnHs2Async(s, s.Bob.UserId, EventTypes.PowerLevels, "",
            JsonNode.Parse($$"""{"users":{"{{s.Alice.UserId}}":100,"{{s.Bob.UserId}}":100},"users_default":0,"state_default":50}""")!.AsObject());
        var (coupId, refused) = await SendAsync(s, PduFactory.Seal(coup, "10", FederationPair.Hs2Name, hs2Key).Pdu);
        Assert.NotNull(refused["error"]);
        await AssertNeverServedAsync(s, coupId, "none");

        // Carol of hs2 never joined: she sends nothing.
        var carol = $"@carol:{FederationPair.Hs2Name}";
        var outsider = await DraftOnHs2Async(s, carol, EventTypes.Message, null, new JsonObject { ["msgtype"] = "m.text", ["body"] = "outsider" });
        var (outsiderId, refusedToo) = await SendAsync(s, PduFactory.Seal(outsider, "10", FederationPair.Hs2Name, hs2Key).Pdu);
        Assert.NotNull(refusedToo["error"]);
        await AssertNeverServedAsync(s, outsiderId, "outsider");

        Assert.Equal(stateBefore, await s.Alice.StateIdsAsync(s.Room));
    }
}
