using System.Text;
using Marten;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.IntegrationTests.Keys;
using WalkieTalkie.Server.Matrix.ToDevice;

namespace WalkieTalkie.Server.IntegrationTests.ToDevice;

[Collection(IntegrationCollection.Name)]
public sealed class when_sending_to_device(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    async Task<IReadOnlyList<ToDeviceMessage>> InboxAsync(MatrixTestClient device)
    {
        await using var session = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync(SyncStreams.ToDevice(device.UserId, device.DeviceId));
        return events.Select(e => (ToDeviceMessage)e.Data).ToList();
    }

    static Task<HttpResponseMessage> SendAsync(MatrixTestClient sender, string type, string txnId, string body) =>
        sender.Http.PutAsync($"/_matrix/client/v3/sendToDevice/{type}/{txnId}", new StringContent(body, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task content_reaches_the_named_device_unchanged_and_a_retried_transaction_is_not_delivered_twice()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var bobPhone = await bob.LoginAgainAsync(_host);
        var content = """{"algorithm":"m.olm.v1.curve25519-aes-sha2","sender_key":"a+b/c","ciphertext":{"k+/":{"type":0,"body":"Awog\u00e9+/=="}}}""";
        var body = KeyMaterial.Json("""{"messages":{"$0":{"$1":$2}}}""", bob.UserId, bob.DeviceId, content);

        (await SendAsync(alice, "m.room.encrypted", "txn1", body)).EnsureSuccessStatusCode();
        var retry = await SendAsync(alice, "m.room.encrypted", "txn1", body);

        Assert.Equal("{}", await retry.Content.ReadAsStringAsync());
        var message = Assert.Single(await InboxAsync(bob));
        Assert.Equal(content, message.ContentJson);
        Assert.Equal((alice.UserId, "m.room.encrypted", bob.UserId, bob.DeviceId), (message.Sender, message.Type, message.TargetUserId, message.TargetDeviceId));
        Assert.Empty(await InboxAsync(bobPhone));

        // The same txn id from another device of the sender is another transaction.
        var alicePhone = await alice.LoginAgainAsync(_host);
        (await SendAsync(alicePhone, "m.room.encrypted", "txn1", body)).EnsureSuccessStatusCode();
        Assert.Equal(2, (await InboxAsync(bob)).Count);
    }

    [Fact]
    public async Task a_star_reaches_every_device_of_the_user_and_unknown_targets_are_ignored()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        var bobPhone = await bob.LoginAgainAsync(_host);
        var body = KeyMaterial.Json("""
            {"messages":{
              "$0":{"*":{"n":1}},
              "$1":{"NOSUCHDEVICE":{"n":2}},
              "@nobody:localhost":{"X":{"n":3}},
              "@remote:elsewhere.example":{"X":{"n":4}}}}
            """, bob.UserId, alice.UserId);
        var before = await _host.SyncPositionAsync();

        (await SendAsync(alice, "m.dummy", Guid.NewGuid().ToString("N"), body)).EnsureSuccessStatusCode();

        Assert.Equal("""{"n":1}""", Assert.Single(await InboxAsync(bob)).ContentJson);
        Assert.Equal("""{"n":1}""", Assert.Single(await InboxAsync(bobPhone)).ContentJson);
        Assert.Empty(await InboxAsync(alice));
        await using var session = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var appended = await session.Events.QueryAllRawEvents().Where(e => e.Sequence > before).ToListAsync();
        Assert.Equal(2, appended.Count(e => e.Data is ToDeviceMessage));
    }

    [Fact]
    public async Task the_inbox_gives_sync_the_messages_after_its_position_in_order_and_in_sync_shape()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bob = await MatrixTestClient.RegisterAsync(_host);
        string Body(int n) => KeyMaterial.Json("""{"messages":{"$0":{"$1":{"n":$2,"k":"a+b/"}}}}""", bob.UserId, bob.DeviceId, n);
        (await SendAsync(alice, "m.dummy", "i1", Body(1))).EnsureSuccessStatusCode();
        var since = await _host.SyncPositionAsync();
        (await SendAsync(alice, "m.dummy", "i2", Body(2))).EnsureSuccessStatusCode();
        (await SendAsync(alice, "m.dummy", "i3", Body(3))).EnsureSuccessStatusCode();
        var upto = await _host.SyncPositionAsync();
        (await SendAsync(alice, "m.dummy", "i4", Body(4))).EnsureSuccessStatusCode();

        await using var session = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var all = await ToDeviceInbox.ReadAsync(session, new(bob.UserId, bob.DeviceId), since, upto, 100, default);
        var first = await ToDeviceInbox.ReadAsync(session, new(bob.UserId, bob.DeviceId), since, upto, 1, default);

        Assert.Equal(["""{"n":2,"k":"a+b/"}""", """{"n":3,"k":"a+b/"}"""], all.Select(m => m.Event.Content.Json));
        Assert.Equal(all[0], Assert.Single(first));
        var json = JsonSerializer.Serialize(all[0].Event, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        Assert.Equal($$$"""{"sender":"{{{alice.UserId}}}","type":"m.dummy","content":{"n":2,"k":"a+b/"}}""", json);
    }

    [Fact]
    public async Task bad_requests_are_matrix_errors()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await SendAsync(alice, "m.dummy", "t1", "{}")).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_MISSING_PARAM");
        await (await SendAsync(alice, "m.dummy", "t2", """{"messages":{"@a:localhost":[]}}""")).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_BAD_JSON");
        await (await SendAsync(alice, "m.dummy", "t3", "{nope")).ShouldBeMatrixError(HttpStatusCode.BadRequest, "M_NOT_JSON");
        using var anonymous = _host.CreateClient();
        await (await anonymous.PutAsync("/_matrix/client/v3/sendToDevice/m.dummy/t4", new StringContent("""{"messages":{}}""")))
            .ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    [Fact]
    public async Task a_body_over_one_mebibyte_is_M_TOO_LARGE_whether_declared_or_streamed()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var big = KeyMaterial.Json("""{"messages":{"$0":{"*":{"pad":"$1"}}}}""", alice.UserId, new string('x', 1024 * 1024));
        await (await SendAsync(alice, "m.dummy", "big1", big)).ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");

        // Chunked: no Content-Length, so the limit applies while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Put, "/_matrix/client/v3/sendToDevice/m.dummy/big2") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await (await alice.Http.SendAsync(request)).ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");
        Assert.Empty(await InboxAsync(alice));
    }
}
