using System.Diagnostics;

namespace WalkieTalkie.Bench.Relay;

/// <summary>One room of the many-rooms row: its talker, already holding the floor, and where its listeners connect.</summary>
sealed record BenchRoom(string Id, Talker Talker, IReadOnlyList<Uri> Listeners, string Subscribe);

/// <summary>
/// Many small rooms talking at once (issue 13: 200 rooms, each one talker and 5 listeners): every talker sends 50 frames/s,
/// the rooms' frame clocks spread evenly over the 20 ms (one pacing thread sends them all), and the latency of every
/// (frame, listener) pair of every room is one sample.
/// </summary>
static class ManyRooms
{
    public sealed record Result(Percentiles Latency, int Received, int Expected, Meter.Usage Usage, long Dropped);

    public static async Task<Result> MeasureAsync(IRelayTarget target, int rooms, int listenersPerRoom, int measured, Action<string> log)
    {
        const int warmUp = 50;
        var watch = Stopwatch.StartNew();
        var open = await target.OpenRoomsAsync(rooms, listenersPerRoom);
        log($"  {rooms} rooms set up ({watch.Elapsed.TotalSeconds:F0} s)");
        var listeners = new Listener[rooms * listenersPerRoom];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, listeners.Length), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            {
                var room = open[i / listenersPerRoom];
                var listener = await Listener.ConnectAsync(room.Listeners[i % listenersPerRoom]);
                await listener.RequestAsync(room.Subscribe, Protocol.ControlTypes.Subscribed, TimeSpan.FromSeconds(120));
                listeners[i] = listener;
            });
            log($"  {listeners.Length} listeners subscribed ({watch.Elapsed.TotalSeconds:F0} s)");

            await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (room, _) => await target.TakeFloorAsync(room));
            var talkers = open.Select(r => r.Talker).ToArray();
            await PaceAsync(talkers, SendTimes.Reserve(warmUp * rooms), warmUp);
            var window = new Window(SendTimes.Reserve(measured * rooms), measured * rooms, listenersPerRoom);
            var drops = target.QueueDrops();
            var meter = new Meter();
            Recorder.Current = window;
            await PaceAsync(talkers, window.First, measured);
            await Deliveries.WaitAsync(() => window.Count, window.Expected);
            Recorder.Current = null;
            var usage = meter.Stop(window.Count);
            return new Result(window.Result(), window.Count, window.Expected, usage, target.QueueDrops() - drops);
        }
        finally
        {
            foreach (var listener in listeners.Where(l => l is not null)) await listener.DisposeAsync();
            await target.CloseRoomsAsync(open);
        }
    }

    /// <summary>
    /// <paramref name="count"/> frames from every talker at 50/s, talker k's clock offset by k/n of 20 ms: frame j of
    /// talker k is seq first + j·n + k, due at start + (j·n + k)·20 ms/n. One dedicated thread sends whatever is due.
    /// </summary>
    static Task PaceAsync(Talker[] talkers, uint first, int count) => Task.Factory.StartNew(() =>
    {
        var n = talkers.Length;
        var step = Stopwatch.Frequency / 50.0 / n;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count * n;)
        {
            var now = Stopwatch.GetTimestamp();
            for (; i < count * n && start + (long)(i * step) <= now; i++) talkers[i % n].Send(first + (uint)i);
            if (i < count * n) Thread.Sleep(1);
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
