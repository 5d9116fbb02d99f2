using System.Diagnostics;

namespace WalkieTalkie.Bench.Relay;

/// <summary>What a phase cost: CPU of this process (server and clients together) and of the whole machine, allocations, GCs.</summary>
sealed class Meter
{
    static long _exceptions;
    /// <summary>Counts first-chance exceptions in this process (thrown, caught or not): none should be thrown per frame.</summary>
    public static void CountExceptions() => AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref _exceptions);

    readonly long _thrown = Interlocked.Read(ref _exceptions);
    readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
    readonly long _allocated = GC.GetTotalAllocatedBytes(precise: false);
    readonly int[] _gcs = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    readonly (long Busy, long Total) _machine = MachineTicks();
    readonly long _start = Stopwatch.GetTimestamp();

    public sealed record Usage(double Seconds, double ProcessCores, double MachineBusy, double CpuUsPerDelivery, double BytesPerDelivery,
        int Gen0, int Gen1, int Gen2, double ExceptionsPerDelivery)
    {
        public override string ToString() =>
            $"process {ProcessCores:F2} cores, machine {MachineBusy:P0} busy, {CpuUsPerDelivery:F1} µs CPU, {BytesPerDelivery:F0} B allocated " +
            $"and {ExceptionsPerDelivery:F2} exceptions per delivery, GCs {Gen0}/{Gen1}/{Gen2}";
    }

    public Usage Stop(long deliveries)
    {
        var seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMilliseconds;
        var machine = MachineTicks();
        var busy = machine.Total == _machine.Total ? 0 : (double)(machine.Busy - _machine.Busy) / (machine.Total - _machine.Total);
        var d = Math.Max(1, deliveries);
        return new(seconds, cpu / 1000 / seconds, busy, cpu * 1000 / d, (GC.GetTotalAllocatedBytes(precise: false) - _allocated) / (double)d,
            GC.CollectionCount(0) - _gcs[0], GC.CollectionCount(1) - _gcs[1], GC.CollectionCount(2) - _gcs[2],
            (Interlocked.Read(ref _exceptions) - _thrown) / (double)d);
    }

    /// <summary>All CPUs' busy and total jiffies from /proc/stat (other engineers' work included: it competes too).</summary>
    static (long Busy, long Total) MachineTicks()
    {
        if (!File.Exists("/proc/stat")) return (0, 0);
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4]; // idle + iowait
        var total = fields.Take(8).Sum();
        return (total - idle, total);
    }
}

/// <summary>Heap and working set of this process after full, compacting collections.</summary>
static class MemorySnapshot
{
    public static (long Heap, long WorkingSet) Take()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
    }
}
