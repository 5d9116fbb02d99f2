using System.Collections.Concurrent;
using System.Net;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;
using WalkieTalkie.Server.IntegrationTests.Walkie;
using WalkieTalkie.Server.IntegrationTests.Walkie.Stream;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.IntegrationTests.Federation.Floor;

/// <summary>
/// MSC4002's question — "some homeservers have like 1 s ping: could two users speak at once?" — asked as hard as a test can:
/// 500 ms each way between hs1 (floor host) and hs2, 10 devices on each requesting and releasing at random for 20 s.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_twenty_devices_contend_across_a_slow_link(IntegrationFixture fixture)
{
    static readonly TimeSpan Contention = TimeSpan.FromSeconds(20);

    sealed record Grant(string DeviceId, long Epoch);

    [Fact]
    public async Task no_two_holders_ever_overlap_and_epochs_strictly_grow_for_the_host_and_for_every_listener()
    {
        await using var pair = await FederationPair.StartAsync(fixture, oneWayLatency: TimeSpan.FromMilliseconds(500));
        var (room, ones, twos) = await pair.WalkieRoomAsync(new { enabled = true, queue = false }, hs1Users: 10, hs2Users: 10);
        var devices = ones.Select(c => (Client: c, Host: pair.Hs1)).Concat(twos.Select(c => (Client: c, Host: pair.Hs2))).ToList();
        var sockets = new List<LiveSocket>();
        foreach (var (client, host) in devices)
        {
            var socket = await LiveSocket.OpenAsync(host, client);
            await socket.SubscribeAsync(room.Id);
            sockets.Add(socket);
        }

        var answered = new ConcurrentBag<Grant>();
        var failures = new ConcurrentBag<string>();
        var until = DateTimeOffset.UtcNow + Contention;
        await Task.WhenAll(devices.Select((d, i) => Task.Run(async () =>
        {
            var random = new Random(4002 + i);
            while (DateTimeOffset.UtcNow < until)
            {
                await Task.Delay(random.Next(20, 400));
                using var response = await room.RequestAsync(d.Client);
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                if (response.StatusCode == HttpStatusCode.Conflict) continue;
                if (response.StatusCode != HttpStatusCode.OK || body["result"]?.GetValue<string>() != "granted")
                {
                    failures.Add($"{d.Client.UserId}: {(int)response.StatusCode} {body.ToJsonString()}");
                    continue;
                }
                var epoch = body["epoch"]!.GetValue<long>();
                answered.Add(new Grant(d.Client.DeviceId, epoch));
                await Task.Delay(random.Next(50, 600));
                await (await room.ReleaseAsync(d.Client, epoch)).EnsureMatrixSuccess();
            }
        })));
        Assert.Empty(failures);

        // The host's stream is the one history: replaying it throws on a grant while the floor is taken.
        var hostEvents = await FloorEventsAsync(pair.Hs1, room.Id);
        var final = FloorDecider.Replay(hostEvents);
        var grants = hostEvents.OfType<FloorGranted>().ToList();
        Assert.True(grants.Count >= 10, $"only {grants.Count} grants in {Contention.TotalSeconds} s: the test did not contend");
        Assert.Equal(Enumerable.Range(1, grants.Count).Select(e => (long)e), grants.Select(g => g.Epoch));
        foreach (var (done, next) in grants.Zip(grants.Skip(1)))
        {
            var end = hostEvents.First(e => e is FloorReleased r && r.Epoch == done.Epoch || e is FloorRevoked v && v.Epoch == done.Epoch).At;
            Assert.True(end <= next.At, $"epoch {next.Epoch} granted at {next.At:O} before epoch {done.Epoch} ended at {end:O}");
        }
        // Every grant a client was told of is the host's, to that device: no server granted on its own.
        var byEpoch = grants.ToDictionary(g => g.Epoch, g => g.Holder.DeviceId);
        Assert.All(answered, a => Assert.Equal(byEpoch[a.Epoch], a.DeviceId));
        Assert.Equal(answered.Count, answered.Select(a => a.Epoch).Distinct().Count());
        Assert.Equal(grants.Count(g => devices.Any(d => d.Client.DeviceId == g.Holder.DeviceId)), answered.Count);

        // Both servers end idle at the last epoch, hs2 with the host's history copied event for event.
        Assert.IsType<FloorState.Idle>(final);
        await room.FloorUntilAsync(twos[0], f => WalkieRoom.State(f) == "idle" && WalkieRoom.Epoch(f) == final.Epoch);
        Assert.Equal(hostEvents.Select(e => e.GetType().Name), (await FloorEventsAsync(pair.Hs2, room.Id)).Select(e => e.GetType().Name));

        // Every listener, on either server, saw grants in strictly growing epochs, each the host's holder.
        foreach (var socket in sockets)
        {
            var seen = socket.Drain()
                .Where(m => m["type"]!.GetValue<string>() is "floor.taken" or "floor.granted")
                .Select(m => (Epoch: m["epoch"]!.GetValue<long>(),
                    Device: m["holder"]?["device_id"]?.GetValue<string>() ?? socket.Client.DeviceId))
                .ToList();
            Assert.True(seen.Count > 0, $"{socket.Client.UserId} saw no grant");
            Assert.All(seen.Zip(seen.Skip(1)), p => Assert.True(p.Second.Epoch > p.First.Epoch,
                $"{socket.Client.UserId} saw epoch {p.Second.Epoch} after {p.First.Epoch}"));
            Assert.All(seen, s => Assert.Equal(byEpoch[s.Epoch], s.Device));
            await socket.DisposeAsync();
        }
    }

    static async Task<List<FloorEvent>> FloorEventsAsync(WalkieHost host, string roomId)
    {
        await using var session = host.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
        return (await session.Events.FetchStreamAsync(FloorStream.Id(roomId))).Select(e => (FloorEvent)e.Data).ToList();
    }
}
