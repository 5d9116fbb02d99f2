using System.Diagnostics;
using Marten;
using Xunit.Abstractions;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.IntegrationTests.Sync;

/// <summary>
/// Issue 14: a sync response is one consistent snapshot. Invites, joins, messages and leaves race long-polling /sync
/// on two server processes of one homeserver: every device of every joiner sees each of its joins, and across its
/// consecutive syncs no event of the time it was joined is skipped, repeated or delivered out of order.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_joins_race_long_polls(IntegrationFixture fixture, ITestOutputHelper output)
{
    // Up to 2,000 joins, each raced by two long-polling devices; on a machine too loaded to finish, the budget ends it.
    static readonly int Pairs = Setting("RACE_PAIRS", 8);
    static readonly int CyclesPerPair = Setting("RACE_CYCLES", 250);
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(Setting("RACE_SECONDS", 40));
    // Large enough that no timeline is ever limited: every event must arrive.
    const string Filter = """{"room":{"timeline":{"limit":1000}}}""";

    sealed record Pair(MatrixTestClient Alice, MatrixTestClient Bob, MatrixTestClient[] BobDevices, string RoomId);

    /// <summary>What one device's consecutive syncs delivered for the pair's room.</summary>
    sealed class Delivered
    {
        public readonly List<string> Timeline = [];
        public int Syncs;
        public int Limited;
    }

    [Fact]
    public async Task every_joiner_sees_each_own_join_and_no_event_is_skipped_or_repeated()
    {
        await using var first = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync());
        // One cycle alone first: the schema is created on first use, and two processes must not race to create it.
        await WarmUpAsync(first);
        await using var second = await WalkieHost.StartAsync(first.App.Configuration.GetConnectionString("walkie")!);
        await WarmUpAsync(second);
        WalkieHost[] hosts = [first, second];

        var pairs = await Task.WhenAll(Enumerable.Range(0, Pairs).Select(async i =>
        {
            // Bob writes through one process; his two devices long-poll one on each; alice alternates.
            var alice = await MatrixTestClient.RegisterAsync(hosts[i % 2]);
            var bob = await MatrixTestClient.RegisterAsync(hosts[(i / 2 + 1) % 2]);
            var other = await bob.LoginAgainAsync(hosts[0]);
            var room = await alice.CreateRoomAsync(new { preset = "private_chat" });
            return new Pair(alice, bob, [bob.On(hosts[0]), other.On(hosts[1])], room);
        }));

        var store = first.Services.GetRequiredService<IDocumentStore>();
        var watch = Stopwatch.StartNew();
        var ends = pairs.Select(_ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var following = pairs.SelectMany((p, i) => p.BobDevices.Select(d => Task.Run(() => FollowAsync(d, p.RoomId, ends[i].Task)))).ToArray();
        await Task.WhenAll(pairs.Select((p, i) => Task.Run(async () =>
        {
            for (var n = 0; n < CyclesPerPair && watch.Elapsed < Budget; n++)
            {
                await p.Alice.InviteAsync(p.RoomId, p.Bob.UserId);
                await p.Bob.JoinAsync(p.RoomId);
                await p.Alice.SendTextAsync(p.RoomId, $"while bob is in, {n}");
                await p.Bob.PostJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(p.RoomId)}/leave", new { });
            }
            // Bob's devices are done once their syncs have passed the room's last event (his last leave).
            await using var query = store.QuerySession();
            ends[i].SetResult((await query.Events.FetchStreamAsync(SyncStreams.Room(p.RoomId)))[^1].Sequence);
        }))).WaitAsync(Budget + TimeSpan.FromMinutes(2));
        var delivered = await Task.WhenAll(following).WaitAsync(TimeSpan.FromMinutes(2));

        var failures = new List<string>();
        int joins = 0, joinsMissed = 0, skipped = 0, repeated = 0, syncs = 0;
        await using var session = store.QuerySession();
        for (var i = 0; i < pairs.Length; i++)
        {
            var pair = pairs[i];
            var stream = (await session.Events.FetchStreamAsync(SyncStreams.Room(pair.RoomId))).Select(e => (RoomEvent)e.Data).ToList();
            var position = stream.Select((e, at) => (e.EventId, at)).ToDictionary(x => x.EventId, x => x.at);
            var ownJoins = stream.Where(e => IsMembership(e, pair.Bob.UserId, Memberships.Join)).Select(e => e.EventId).ToList();
            var whileJoined = WhileJoined(stream, pair.Bob.UserId);
            joins += ownJoins.Count;
            for (var d = 0; d < pair.BobDevices.Length; d++)
            {
                var got = delivered[i * pair.BobDevices.Length + d];
                syncs += got.Syncs;
                var seen = got.Timeline.ToHashSet();
                joinsMissed += ownJoins.Count(id => !seen.Contains(id));
                skipped += whileJoined.Count(id => !seen.Contains(id));
                repeated += got.Timeline.Count - seen.Count;
                if (got.Limited > 0) failures.Add($"pair {i} device {d}: {got.Limited} timelines were limited despite the filter");
                var order = got.Timeline.Select(id => position.GetValueOrDefault(id, -1)).ToList();
                if (order.Contains(-1)) failures.Add($"pair {i} device {d}: an event of another room was delivered for this room");
                if (!order.SequenceEqual(order.Order())) failures.Add($"pair {i} device {d}: events arrived out of order");
            }
        }

        var races = joins * pairs[0].BobDevices.Length;
        output.WriteLine($"{joins} joins ({races} join/long-poll races) against {syncs} syncs in {watch.Elapsed}");
        Assert.True(joins >= Pairs, $"every pair completes at least one cycle, got {joins} joins");
        Assert.True(joinsMissed == 0 && skipped == 0 && repeated == 0 && failures.Count == 0,
            $"{joins} joins ({races} races) against {syncs} syncs: {joinsMissed} times a device never saw its user's join, "
            + $"{skipped} events of joined time skipped, {repeated} delivered twice. {string.Join("; ", failures)}");
    }

    static async Task WarmUpAsync(WalkieHost host)
    {
        var alice = await MatrixTestClient.RegisterAsync(host);
        var bob = await MatrixTestClient.RegisterAsync(host);
        var room = await alice.CreateRoomAsync(new { preset = "private_chat" });
        await alice.InviteAsync(room, bob.UserId);
        await bob.JoinAsync(room);
        await alice.SendTextAsync(room, "warm");
        await bob.PostJsonAsync($"/_matrix/client/v3/rooms/{RoomSteps.Path(room)}/leave", new { });
        await bob.LoginAgainAsync(host);
        await bob.SyncAsync(filter: Filter);
    }

    /// <summary>A device's client: an initial sync, then long-polls from each next_batch until it has passed the end.</summary>
    static async Task<Delivered> FollowAsync(MatrixTestClient device, string roomId, Task<long> end)
    {
        var delivered = new Delivered();
        var since = (await device.SyncAsync(filter: Filter))["next_batch"]!.GetValue<string>();
        while (!end.IsCompleted || Position(since) < end.Result)
        {
            var sync = await device.SyncAsync(since, timeoutMs: 1_000, filter: Filter);
            delivered.Syncs++;
            foreach (var section in new[] { "join", "leave" })
            {
                if (sync["rooms"]?[section]?[roomId]?["timeline"] is not JsonObject timeline) continue;
                if (timeline["limited"]?.GetValue<bool>() == true) delivered.Limited++;
                delivered.Timeline.AddRange(timeline["events"]!.AsArray().Select(e => e!["event_id"]!.GetValue<string>()));
            }
            since = sync["next_batch"]!.GetValue<string>();
        }
        return delivered;
    }

    /// <summary>The events from each of the user's joins up to and including the leave that ends it.</summary>
    static List<string> WhileJoined(List<RoomEvent> stream, string userId)
    {
        var ids = new List<string>();
        var joined = false;
        foreach (var e in stream)
        {
            if (IsMembership(e, userId, Memberships.Join)) joined = true;
            if (joined) ids.Add(e.EventId);
            if (IsMembership(e, userId, Memberships.Leave)) joined = false;
        }
        return ids;
    }

    static bool IsMembership(RoomEvent e, string userId, string membership) =>
        e.Type == EventTypes.Member && e.StateKey == userId && e.ContentObject()["membership"]?.GetValue<string>() == membership;

    static long Position(string token) => long.Parse(token[1..].Split('_')[0]);

    static int Setting(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;
}
