using System.Diagnostics;
using WalkieTalkie.Bench;

namespace WalkieTalkie.Bench.Floor;

/// <summary>What one run of the crowd loop measured.</summary>
public sealed record CrowdRun(Percentiles Granted, Percentiles Requests, Percentiles Releases, int[] ByAnswer, long HandedOver,
    long Decisions, TimeSpan Elapsed, IReadOnlyDictionary<int, int> ErrorStatuses)
{
    public double DecisionsPerSecond => Decisions / Elapsed.TotalSeconds;
    public double GrantsPerSecond => (ByAnswer[(int)Answer.Granted] + HandedOver) / Elapsed.TotalSeconds;
    public string Answers() => string.Join(" / ", ByAnswer);
    public string Grants() => $"{ByAnswer[(int)Answer.Granted]} + {HandedOver}";
}

/// <summary>The push-to-talk loop of <see cref="ContendedFloor"/>, on every device at once for a while.</summary>
public static class PttCrowd
{
    public static async Task<CrowdRun> RunAsync(IReadOnlyList<FloorDevice> devices, TimeSpan duration)
    {
        var results = new DeviceResult[devices.Count];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(devices.Select((device, i) => Task.Run(async () => results[i] = await PressAsync(device, watch, duration, i))));
        watch.Stop();

        var byAnswer = new int[4];
        foreach (var r in results) for (var k = 0; k < 4; k++) byAnswer[k] += r.ByAnswer[k];
        var errors = results.SelectMany(r => r.ErrorStatuses).GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        return new CrowdRun(Percentiles.Of(results.SelectMany(r => r.Granted).ToList()),
            Percentiles.Of(results.SelectMany(r => r.Requests).ToList()), Percentiles.Of(results.SelectMany(r => r.Releases).ToList()),
            byAnswer, results.Sum(r => r.HandedOver), results.Sum(r => r.Decisions), watch.Elapsed, errors);
    }

    sealed class DeviceResult
    {
        public readonly List<double> Granted = [], Requests = [], Releases = [];
        public readonly int[] ByAnswer = new int[4];
        public readonly List<int> ErrorStatuses = [];
        public long HandedOver, Decisions;
    }

    static async Task<DeviceResult> PressAsync(FloorDevice device, Stopwatch watch, TimeSpan duration, int seed)
    {
        var random = new Random(seed);
        var result = new DeviceResult();
        while (watch.Elapsed < duration)
        {
            // A hand-over that came after this device let go of the button: it talks anyway (its floor, its epoch).
            if (await device.HandedOverAsync(TimeSpan.Zero) is { } late)
            {
                result.HandedOver++;
                await TalkAsync(device, late, random, result);
                continue;
            }

            var (kind, epoch, ms, status) = await device.RequestAsync();
            result.Requests.Add(ms);
            result.ByAnswer[(int)kind]++;
            if (kind == Answer.Error) result.ErrorStatuses.Add(status);
            else result.Decisions++;

            if (kind == Answer.Granted)
            {
                result.Granted.Add(ms);
                await TalkAsync(device, epoch, random, result);
            }
            else if (kind == Answer.Queued)
            {
                if (await device.HandedOverAsync(TimeSpan.FromMilliseconds(random.Next(20, 101))) is { } handed)
                {
                    result.HandedOver++;
                    await TalkAsync(device, handed, random, result);
                }
                else await ReleaseAsync(device, 0, result); // lets go of the button: leaves the queue
            }
            await Task.Delay(random.Next(0, 11));
        }
        return result;
    }

    static async Task TalkAsync(FloorDevice device, long epoch, Random random, DeviceResult result)
    {
        await Task.Delay(random.Next(20, 61));
        await ReleaseAsync(device, epoch, result);
    }

    static async Task ReleaseAsync(FloorDevice device, long epoch, DeviceResult result)
    {
        var (ok, ms, status) = await device.ReleaseAsync(epoch);
        result.Releases.Add(ms);
        if (ok) result.Decisions++;
        else result.ErrorStatuses.Add(status);
    }
}
