using System.Text;
using Marten;
using WalkieTalkie.Server.Federation.Sending;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.Matrix.ToDevice;

namespace WalkieTalkie.Server.IntegrationTests.Federation;

/// <summary>The outgoing queue and `PUT /send/{txnId}`, seen through m.direct_to_device between two real servers.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_transactions_carry_edus(IntegrationFixture fixture)
{
    static async Task<IReadOnlyList<ToDeviceMessage>> InboxAsync(WalkieHost host, MatrixTestClient device)
    {
        await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync(SyncStreams.ToDevice(device.UserId, device.DeviceId));
        return events.Select(e => (ToDeviceMessage)e.Data).ToList();
    }

    static Task<IReadOnlyList<ToDeviceMessage>> InboxOnceFilledAsync(WalkieHost host, MatrixTestClient device, int count = 1) =>
        Eventually.GetAsync(() => InboxAsync(host, device), m => m.Count >= count);

    static async Task SendToDeviceAsync(MatrixTestClient sender, MatrixTestClient target, string txnId, string content)
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonObject { [target.UserId] = new JsonObject { [target.DeviceId] = JsonNode.Parse(content) } },
        }.ToJsonString();
        (await sender.Http.PutAsync($"/_matrix/client/v3/sendToDevice/m.room.encrypted/{txnId}",
            new StringContent(body, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task a_to_device_message_to_a_user_of_the_other_server_reaches_their_device_and_their_sync()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2);
        var initial = await bob.GetJsonAsync("/_matrix/client/v3/sync?timeout=0");

        await SendToDeviceAsync(alice, bob, "t1", """{"ciphertext":"k+/=","n":1}""");

        var message = Assert.Single(await InboxOnceFilledAsync(pair.Hs2, bob));
        Assert.Equal((alice.UserId, "m.room.encrypted"), (message.Sender, message.Type));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ciphertext":"k+/=","n":1}"""), JsonNode.Parse(message.ContentJson)));
        var sync = await bob.GetJsonAsync($"/_matrix/client/v3/sync?timeout=0&since={initial["next_batch"]}");
        var seen = Assert.Single(sync["to_device"]!["events"]!.AsArray());
        Assert.Equal(alice.UserId, seen!["sender"]!.GetValue<string>());
        await AssertQueueEmptyAsync(pair.Hs1);
    }

    [Fact]
    public async Task what_is_sent_while_the_destination_is_down_arrives_once_it_is_back_even_across_a_restart_of_the_sender()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2);
        // hs2 learns hs1's key while both are up; then hs2 goes down.
        await SendToDeviceAsync(alice, bob, "warmup", """{"n":0}""");
        await InboxOnceFilledAsync(pair.Hs2, bob);
        await pair.StopAsync(FederationPair.Hs2Name);

        await SendToDeviceAsync(alice, bob, "t1", """{"n":1}""");
        await SendToDeviceAsync(alice, bob, "t2", """{"n":2}""");
        // The sender restarts with the messages still queued (stored, not in memory), and signs with the same key.
        var keyBefore = (await SignedRequest.KeyOf(pair.Hs1)).PublicKeyBase64;
        await pair.StopAsync(FederationPair.Hs1Name);
        await pair.StartAsync(FederationPair.Hs1Name);
        Assert.Equal(keyBefore, (await SignedRequest.KeyOf(pair.Hs1)).PublicKeyBase64);
        await pair.StartAsync(FederationPair.Hs2Name);

        var inbox = await InboxOnceFilledAsync(pair.Hs2, bob, 3);
        Assert.Equal([0, 1, 2], inbox.Select(m => JsonNode.Parse(m.ContentJson)!["n"]!.GetValue<int>()));
        await AssertQueueEmptyAsync(pair.Hs1);
    }

    [Fact]
    public async Task a_replayed_transaction_or_message_id_is_delivered_once_and_a_server_cannot_send_for_another_servers_users()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2);
        JsonObject Transaction(string messageId, string sender) => new()
        {
            ["origin"] = FederationPair.Hs1Name, ["origin_server_ts"] = 1, ["pdus"] = new JsonArray(),
            ["edus"] = new JsonArray(new JsonObject
            {
                ["edu_type"] = "m.direct_to_device",
                ["content"] = new JsonObject
                {
                    ["sender"] = sender, ["type"] = "m.test", ["message_id"] = messageId,
                    ["messages"] = new JsonObject { [bob.UserId] = new JsonObject { [bob.DeviceId] = new JsonObject { ["m"] = messageId } } },
                },
            }),
        };

        var first = await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Put, "/_matrix/federation/v1/send/txn-a", Transaction("m1", "@alice:hs1.test"));
        var replay = await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Put, "/_matrix/federation/v1/send/txn-a", Transaction("m1", "@alice:hs1.test"));
        var sameMessage = await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Put, "/_matrix/federation/v1/send/txn-b", Transaction("m1", "@alice:hs1.test"));
        var spoofed = await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Put, "/_matrix/federation/v1/send/txn-c", Transaction("m2", "@carol:hs2.test"));
        var another = await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Put, "/_matrix/federation/v1/send/txn-d", Transaction("m3", "@alice:hs1.test"));

        foreach (var r in new[] { first, replay, sameMessage, spoofed, another }) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"pdus":{}}"""), JsonNode.Parse(await replay.Content.ReadAsStringAsync())));
        var inbox = await InboxAsync(pair.Hs2, bob);
        Assert.Equal(["m1", "m3"], inbox.Select(m => JsonNode.Parse(m.ContentJson)!["m"]!.GetValue<string>()));
    }

    [Fact]
    public async Task a_transaction_over_the_spec_limits_is_refused()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var pdus = new JsonArray();
        for (var i = 0; i < 51; i++) pdus.Add(new JsonObject { ["type"] = "m.room.message" });
        var response = await SignedRequest.SendAsync(pair.Hs1, pair.Hs2, HttpMethod.Put, "/_matrix/federation/v1/send/big",
            new JsonObject { ["origin"] = FederationPair.Hs1Name, ["origin_server_ts"] = 1, ["pdus"] = pdus });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    static async Task AssertQueueEmptyAsync(WalkieHost host)
    {
        var left = await Eventually.GetAsync(async () =>
        {
            await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
            return await session.Query<OutgoingItem>().CountAsync();
        }, n => n == 0);
        Assert.Equal(0, left);
    }
}
