namespace WalkieTalkie.Bench;

/// <summary>What the figures were measured on.</summary>
public static class Machine
{
    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";

    public static string MemoryGiB()
    {
        var total = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:")) : null;
        return total is null ? "?" : $"{long.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0 / 1024:F0} GiB";
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";

    public static string Describe() =>
        $"{Environment.ProcessorCount} cores ({CpuModel()}), {MemoryGiB()}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
        $".NET {Environment.Version}";
}
