using System.Diagnostics;
using Npgsql;
using WalkieTalkie.Bench;

namespace WalkieTalkie.Bench.Floor;

/// <summary>
/// Floor decisions without contention: request → granted latency, one client at a time, and decisions per second with
/// concurrent clients each in a room of its own; beside one durable INSERT round trip on the same database.
/// </summary>
public static class SeparateRooms
{
    public static async Task RunAsync(string[] args)
    {
        var samples = Arg(args, 0, 2000);
        var clients = Arg(args, 1, 32);
        var decisions = Arg(args, 2, 20_000);
        var durable = args.Length <= 3 || args[3] != "off";

        await using var postgres = await BenchPostgres.StartAsync(durable);
        var (app, baseAddress) = await BenchServer.StartAsync(postgres.ConnectionString);
        var http = new HttpClient { BaseAddress = baseAddress };

        // One room per client, so concurrent clients measure the server, not contention for one floor.
        Console.Error.WriteLine($"setting up {clients} users, rooms and consents...");
        var talkers = new List<FloorDevice>();
        for (var i = 0; i < clients; i++)
        {
            var room = await FloorRoom.CreateAsync(http, 1);
            talkers.Add(await FloorDevice.ConnectAsync(room.Members[0], room.RoomId, stream: false));
        }

        await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
        await using (var create = dataSource.CreateCommand("create table if not exists bench_baseline (id bigserial primary key, payload text not null)"))
            await create.ExecuteNonQueryAsync();

        // Warm-up: JIT, pools, Marten's and Wolverine's generated code.
        for (var i = 0; i < 200; i++) await TalkAsync(talkers[i % talkers.Count]);
        for (var i = 0; i < 200; i++) await InsertAsync(dataSource);

        var insertLatency = new List<double>();
        for (var i = 0; i < samples; i++) insertLatency.Add(await Timed(() => InsertAsync(dataSource)));

        var requestLatency = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var talker = talkers[i % talkers.Count];
            var (epoch, ms) = await RequestGrantedAsync(talker);
            requestLatency.Add(ms);
            await talker.ReleaseAsync(epoch);
        }

        var cpu = new CpuMeter(postgres.Process.Id);
        var (insertRate, insertLoaded) = await Concurrently(clients, decisions, _ => InsertAsync(dataSource));
        var insertCpu = cpu.PerOp(decisions);
        await Task.Delay(TimeSpan.FromSeconds(2)); // statistics of the INSERT run flush late
        var statsBefore = await DatabaseStats(dataSource);
        var lostBefore = LostRaces.Of(app.Services);
        // Each talk is two decisions: the request (granted) and the release.
        var (talkRate, talkLoaded) = await Concurrently(clients, decisions / 2, i => TalkAsync(talkers[i]));
        var lost = LostRaces.Of(app.Services) - lostBefore;
        // The durable end-of-media backstops of these grants fire 4 s later; wait for them, and for the statistics to flush.
        await Task.Delay(TimeSpan.FromSeconds(6));
        var statsAfter = await DatabaseStats(dataSource);
        var talkCpu = cpu.PerOp(decisions);
        var perDecision = statsAfter.Zip(statsBefore, (a, b) => (a.Name, PerOp: (a.Value - b.Value) / (double)decisions));

        Console.WriteLine($"machine: {Machine.Describe()}; PostgreSQL {await postgres.ShowAsync("server_version")} " +
            $"fsync={await postgres.ShowAsync("fsync")}, synchronous_commit={await postgres.ShowAsync("synchronous_commit")}; server, database and clients on this machine");
        Console.WriteLine($"{"measurement",-58} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"ops/s",8}");
        Print("baseline: durable INSERT round trip, sequential", insertLatency, samples / insertLatency.Sum() * 1000);
        Print("floor request → granted response, sequential", requestLatency, null);
        Print($"baseline: durable INSERT, {clients} connections", insertLoaded, insertRate);
        Print($"floor decisions (request+release), {clients} clients/rooms", talkLoaded, talkRate * 2);
        Console.WriteLine($"lost optimistic-concurrency races during the concurrent run: {lost?.ToString() ?? "not exposed"}");
        Console.WriteLine($"CPU per operation in the concurrent runs (ms; floor incl. its timer backstops): INSERT: bench process {insertCpu.Bench:F3}, PostgreSQL {insertCpu.Postgres:F3}; " +
            $"floor decision: bench process (server + HTTP clients) {talkCpu.Bench:F3}, PostgreSQL {talkCpu.Postgres:F3}");
        Console.WriteLine("database work per floor decision, incl. the timer backstops fired afterwards: " +
            string.Join(", ", perDecision.Select(x => $"{x.Name} {x.PerOp:F2}")));
        Console.WriteLine($"load average at the end: {Machine.LoadAverage()}");
        await app.StopAsync();
    }

    static int Arg(string[] args, int index, int fallback) => args.Length > index && int.TryParse(args[index], out var v) ? v : fallback;

    static async Task<(long Epoch, double Ms)> RequestGrantedAsync(FloorDevice talker)
    {
        var (kind, epoch, ms, status) = await talker.RequestAsync();
        return kind == Answer.Granted ? (epoch, ms) : throw new InvalidOperationException($"not granted: {kind} ({status})");
    }

    static async Task TalkAsync(FloorDevice talker) => await talker.ReleaseAsync((await RequestGrantedAsync(talker)).Epoch);

    static async Task InsertAsync(NpgsqlDataSource dataSource)
    {
        await using var insert = dataSource.CreateCommand("insert into bench_baseline (payload) values ($1)");
        insert.Parameters.AddWithValue("floor decision sized payload");
        await insert.ExecuteNonQueryAsync();
    }

    static async Task<double> Timed(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>Runs <paramref name="total"/> operations on <paramref name="workers"/> concurrent loops; ops/s and each op's latency.</summary>
    static async Task<(double Rate, List<double> Latencies)> Concurrently(int workers, int total, Func<int, Task> op)
    {
        var remaining = total;
        var latencies = new List<double>[workers];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            latencies[w] = [];
            while (Interlocked.Decrement(ref remaining) >= 0) latencies[w].Add(await Timed(() => op(w)));
        })));
        watch.Stop();
        return (total / watch.Elapsed.TotalSeconds, latencies.SelectMany(l => l).ToList());
    }

    static void Print(string name, List<double> values, double? rate)
    {
        var p = Percentiles.Of(values);
        Console.WriteLine($"{name,-58} {p.P50,8:F2} {p.P99,8:F2} {p.Max,8:F2} {(rate is { } r ? r.ToString("F0") : "—"),8}");
    }

    static async Task<List<(string Name, long Value)>> DatabaseStats(NpgsqlDataSource dataSource)
    {
        await using var stats = dataSource.CreateCommand(
            "select xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched from pg_stat_database where datname = current_database()");
        await using var reader = await stats.ExecuteReaderAsync();
        await reader.ReadAsync();
        return Enumerable.Range(0, reader.FieldCount).Select(i => (reader.GetName(i), reader.GetInt64(i))).ToList();
    }
}
