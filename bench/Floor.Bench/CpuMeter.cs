using System.Diagnostics;

namespace WalkieTalkie.Bench.Floor;

/// <summary>CPU time of this process, of the PostgreSQL server (postmaster and its backends) and of one other process, between calls, from /proc.</summary>
public sealed class CpuMeter(int postmaster, int? other = null)
{
    const double TickMs = 1000.0 / 100; // USER_HZ
    TimeSpan _bench = Process.GetCurrentProcess().TotalProcessorTime;
    double _postgres = Ticks(pid => pid == postmaster, parent => parent == postmaster);
    double _other = other is { } o ? Ticks(pid => pid == o, _ => false) : 0;

    /// <summary>CPU ms per operation since the last call.</summary>
    public (double Bench, double Postgres) PerOp(int ops)
    {
        var (bench, postgres, _) = Take();
        return (bench / ops, postgres / ops);
    }

    /// <summary>Cores kept busy since the last call.</summary>
    public (double Bench, double Postgres, double Other) Cores(TimeSpan elapsed)
    {
        var (bench, postgres, rest) = Take();
        var ms = elapsed.TotalMilliseconds;
        return (bench / ms, postgres / ms, rest / ms);
    }

    (double Bench, double Postgres, double Other) Take()
    {
        var bench = Process.GetCurrentProcess().TotalProcessorTime;
        var postgres = Ticks(pid => pid == postmaster, parent => parent == postmaster);
        var rest = other is { } o ? Ticks(pid => pid == o, _ => false) : 0;
        var result = ((bench - _bench).TotalMilliseconds, (postgres - _postgres) * TickMs, (rest - _other) * TickMs);
        (_bench, _postgres, _other) = (bench, postgres, rest);
        return result;
    }

    static double Ticks(Func<int, bool> self, Func<int, bool> parent)
    {
        double ticks = 0;
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from 3 (state) on
                if (!self(pid) && !parent(int.Parse(fields[1]))) continue;
                ticks += double.Parse(fields[11]) + double.Parse(fields[12]); // utime, stime
            }
            catch (IOException) { } // gone meanwhile
        }
        return ticks;
    }
}
