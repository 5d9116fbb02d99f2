using System.Net.WebSockets;
using System.Text;
using Marten;
using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Floor;
using static WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;
using WalkieRoom = WalkieTalkie.Server.IntegrationTests.Walkie.WalkieRoom;

namespace WalkieTalkie.Server.IntegrationTests.Faults;

/// <summary>
/// Two processes of one homeserver on one database; the one the talker uses dies by SIGKILL while audio frames and
/// messages flow through it. What it acknowledged stays committed, and the survivor ends the orphaned grant with the
/// durable timer the dead process scheduled, so the floor is usable again with a higher epoch.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_a_server_process_is_killed_mid_burst(IntegrationFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task nothing_acknowledged_is_lost_and_the_survivor_ends_the_grant_by_its_timer()
    {
        var database = await fixture.CreateDatabaseAsync();
        await using var survivor = await WalkieHost.StartAsync(database);
        await using var doomed = await OutOfProcessServer.StartAsync(database);
        var alice = await MatrixTestClient.RegisterAsync(survivor);
        var bob = await MatrixTestClient.RegisterAsync(survivor);
        // Max talk far away: only the end-of-media timer (silence since the kill) can end the grant.
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, max_talk_ms = 600_000, end_of_media_ms = 2_000 }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);

        var aliceThere = doomed.As(alice);
        var epoch = (await room.RequestOkAsync(aliceThere))["epoch"]!.GetValue<long>();
        using var socket = await SubscribeAsync(doomed.BaseAddress, alice, room.Id);
        var channel = await ChannelAsync(socket, room.Id);

        var heard = new List<string>();
        var draining = DrainAsync(socket, heard);
        using var stop = new CancellationTokenSource();
        var frames = SendFramesAsync(socket, channel, epoch, stop.Token);
        var acknowledged = new List<string>();
        var messages = SendMessagesAsync(aliceThere, room.Id, acknowledged, stop.Token);
        // Talk past end_of_media first: the grant must live on whichever process's timer checks it.
        var talking = System.Diagnostics.Stopwatch.StartNew();
        await EventuallyAsync(() => Task.FromResult((Acknowledged: Count(acknowledged), FramesStopped: frames.IsCompleted, talking.Elapsed)),
            s => (s.Acknowledged >= 20 && s.Elapsed > TimeSpan.FromSeconds(5)) || s.FramesStopped, TimeSpan.FromSeconds(60),
            "20 messages acknowledged and 5 s of frames");
        if (frames.IsCompleted)
        {
            var (sent, ended) = await frames;
            Assert.Fail($"frames stopped before the kill after {sent}: {ended}; {socket.CloseStatus} {socket.CloseStatusDescription}; heard {string.Join(" ", Snapshot(heard))}");
        }

        await doomed.KillAsync();
        var (sentFrames, _) = await frames;
        await messages;
        stop.Cancel();
        await draining;
        var committed = Snapshot(acknowledged);
        output.WriteLine($"killed after {committed.Length} acknowledged messages and {sentFrames} frames of epoch {epoch}");

        foreach (var eventId in committed)
            await alice.GetJsonAsync($"/_matrix/client/v3/rooms/{room.Id}/event/{Uri.EscapeDataString(eventId)}");
        Assert.Contains(await FloorEventsAsync(survivor, room.Id), e => e is FloorGranted g && g.Epoch == epoch && g.Holder.DeviceId == alice.DeviceId);

        var (floor, after) = await EventuallyAsync(() => room.FloorAsync(bob), f => Holder(f) != alice.DeviceId || Epoch(f) != epoch,
            TimeSpan.FromSeconds(120), "the survivor ends the dead process's grant");
        output.WriteLine($"grant ended by the survivor {after.TotalMilliseconds:F0} ms after the kill: {floor}");
        Assert.Contains(await FloorEventsAsync(survivor, room.Id),
            e => e is FloorRevoked { Reason: RevokeReason.EndOfMedia } r && r.Epoch == epoch && r.Holder.DeviceId == alice.DeviceId);

        var bobGrant = await room.RequestOkAsync(bob);
        Assert.Equal("granted", bobGrant["result"]!.GetValue<string>());
        Assert.True(bobGrant["epoch"]!.GetValue<long>() > epoch, $"bob's epoch {bobGrant["epoch"]} after alice's {epoch}");
    }

    static async Task<ClientWebSocket> SubscribeAsync(Uri server, MatrixTestClient client, string roomId)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(server) { Scheme = "ws", Path = P + "/stream", Query = $"access_token={client.AccessToken}" }.Uri,
            CancellationToken.None);
        var subscribe = JsonSerializer.Serialize(new { type = "subscribe", rooms = new[] { roomId } });
        await socket.SendAsync(Encoding.UTF8.GetBytes(subscribe), WebSocketMessageType.Text, true, CancellationToken.None);
        return socket;
    }

    /// <summary>Reads control messages up to <c>subscribed</c>; the room's channel number on this connection.</summary>
    static async Task<ushort> ChannelAsync(ClientWebSocket socket, string roomId)
    {
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType != WebSocketMessageType.Text) continue;
            var message = JsonNode.Parse(buffer.AsSpan(0, result.Count))!.AsObject();
            if (message["type"]?.GetValue<string>() == "subscribed") return message["channels"]![roomId]!.GetValue<ushort>();
        }
    }

    /// <summary>A 20 ms frame clock of the holder until the connection dies; how many frames went out.</summary>
    static async Task<(int Sent, string? Ended)> SendFramesAsync(ClientWebSocket socket, ushort channel, long epoch, CancellationToken ct)
    {
        var frame = new byte[AudioFrame.HeaderSize + 60];
        var sent = 0;
        try
        {
            for (uint seq = 0; !ct.IsCancellationRequested; seq++)
            {
                AudioFrame.WriteHeader(frame, new AudioFrameHeader(channel, (uint)epoch, seq));
                await socket.SendAsync(frame, WebSocketMessageType.Binary, true, ct);
                sent++;
                await Task.Delay(20, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException) { return (sent, e.Message); }
        return (sent, null);
    }

    /// <summary>Messages one after another until the server stops answering; each 200 answer's event id is recorded.</summary>
    static async Task SendMessagesAsync(MatrixTestClient client, string roomId, List<string> acknowledged, CancellationToken ct)
    {
        try
        {
            for (var i = 0; !ct.IsCancellationRequested; i++)
            {
                using var response = await client.Http.PutAsJsonAsync($"/_matrix/client/v3/rooms/{roomId}/send/m.room.message/kill-{i}",
                    new { msgtype = "m.text", body = $"before the kill {i}" }, ct);
                if (!response.IsSuccessStatusCode) return;
                var eventId = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["event_id"]!.GetValue<string>();
                lock (acknowledged) acknowledged.Add(eventId);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException) { }
    }

    static int Count(List<string> list)
    {
        lock (list) return list.Count;
    }

    static string[] Snapshot(List<string> list)
    {
        lock (list) return [.. list];
    }

    /// <summary>Reads what the server sends (control messages, relayed nothing: the talker is alone) until the connection ends.</summary>
    static async Task DrainAsync(ClientWebSocket socket, List<string> heard)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) return;
                if (result.MessageType == WebSocketMessageType.Text)
                    lock (heard) heard.Add(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException) { }
    }

    static async Task<IReadOnlyList<object>> FloorEventsAsync(WalkieHost host, string roomId)
    {
        await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Events.FetchStreamAsync(FloorStream.Id(roomId))).Select(e => e.Data).ToList();
    }
}
