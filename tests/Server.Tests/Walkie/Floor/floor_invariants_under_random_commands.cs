namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

/// <summary>A seeded random walk through 10,000 commands from 20 devices with advancing time.</summary>
public sealed class floor_invariants_under_random_commands
{
    const int Steps = 10_000;

    static readonly RevokeReason[] HandlerReasons =
        [RevokeReason.ConsentExpired, RevokeReason.ConsentRevoked, RevokeReason.LeftRoom, RevokeReason.Disconnected];

    [Theory]
    [InlineData(4002)]
    [InlineData(17)]
    public void the_floor_never_has_two_holders_epochs_only_grow_and_the_queue_stays_clean(int seed)
    {
        var random = new Random(seed);
        var devices = Enumerable.Range(0, 20).Select(i => new DeviceRef($"@user{i % 12}:example.org", $"DEVICE{i}")).ToArray();
        var powerLevels = devices.ToDictionary(d => d, _ => new[] { 0, 0, 50, 75, 100 }[random.Next(5)]);
        FloorSettings[] settings = [Settings, NoQueue, Settings with { PreemptPowerLevel = 75, MaxTalk = TimeSpan.FromSeconds(8), EndOfMedia = TimeSpan.FromSeconds(2) }];
        var ineligible = new HashSet<DeviceRef>();
        Func<DeviceRef, bool> eligible = d => !ineligible.Contains(d);

        var state = Floor.Initial;
        var history = new List<FloorEvent>();
        var seen = new HashSet<string>();
        DeviceRef? holder = null; // tracked from the events alone, independently of Evolve
        long lastEpoch = 0;
        var now = T0;

        for (var step = 0; step < Steps; step++)
        {
            now += TimeSpan.FromMilliseconds(random.Next(0, 3_000));
            if (random.Next(8) == 0 && !ineligible.Remove(devices[random.Next(devices.Length)]))
                ineligible.Add(devices[random.Next(devices.Length)]);

            var command = NextCommand(random, state, devices, powerLevels, settings[random.Next(4) % 3], eligible, now);
            foreach (var e in FloorDecider.Decide(command, state, now))
            {
                switch (e)
                {
                    case FloorGranted g:
                        Assert.Null(holder);
                        Assert.Equal(lastEpoch + 1, g.Epoch);
                        Assert.True(g.How != GrantKind.QueueHandOver || eligible(g.Holder), "hand-over to an ineligible device");
                        (holder, lastEpoch) = (g.Holder, g.Epoch);
                        break;
                    case FloorReleased or FloorRevoked:
                        Assert.NotNull(holder);
                        holder = null;
                        break;
                    case FloorLeftQueue { Reason: LeaveReason.SkippedIneligible } l:
                        Assert.False(eligible(l.Device), "skipped an eligible device");
                        break;
                }
                state = FloorDecider.Evolve(state, e);
                history.Add(e);
                seen.Add(e is FloorRevoked r ? $"Revoked:{r.Reason}" : e is FloorGranted gr ? $"Granted:{gr.How}" : e.GetType().Name);
            }

            Assert.Equal(lastEpoch, state.Epoch);
            switch (state)
            {
                case Floor.Taken t:
                    Assert.Equal(holder, t.Holder);
                    Assert.DoesNotContain(t.Holder, t.Queue);
                    Assert.Equal(t.Queue.Count, t.Queue.Distinct().Count());
                    Assert.True(t.GrantedAt <= now && t.GrantedAt < t.ExpiresAt);
                    break;
                case Floor.Idle:
                    Assert.Null(holder);
                    break;
                default:
                    Assert.Fail($"step {step} left the floor in {state}");
                    break;
            }
        }

        Assert.Equal(state, FloorDecider.Replay(history));
        // The walk is only worth something if it went everywhere.
        Assert.Superset(
            new HashSet<string>([
                nameof(FloorRequested), nameof(FloorDenied), nameof(FloorQueued), nameof(FloorLeftQueue), nameof(FloorReleased), nameof(FloorIdle),
                .. Enum.GetValues<GrantKind>().Select(k => $"Granted:{k}"),
                .. Enum.GetValues<RevokeReason>().Select(r => $"Revoked:{r}"),
            ]),
            seen);
        Assert.True(lastEpoch > 1_000, $"only {lastEpoch} grants in {Steps} steps");
    }

    static FloorCommand NextCommand(Random random, Floor state, DeviceRef[] devices, Dictionary<DeviceRef, int> powerLevels,
        FloorSettings settings, Func<DeviceRef, bool> eligible, DateTimeOffset now)
    {
        var taken = state as Floor.Taken;
        // Aim at the holder half the time, so releases and revokes often land.
        var device = taken is not null && random.Next(2) == 0 ? taken.Holder : devices[random.Next(devices.Length)];
        var epoch = random.Next(5) == 0 ? state.Epoch - random.Next(1, 3) : state.Epoch;
        return random.Next(100) switch
        {
            < 40 => new RequestFloor(Room, device, random.Next(4) == 0 ? FloorPriority.Preempt : FloorPriority.Normal,
                powerLevels[device], taken is null ? null : powerLevels[taken.Holder], settings),
            < 55 => new ReleaseFloor(Room, device, epoch, settings, eligible),
            < 70 => new RevokeFloor(Room, device, HandlerReasons[random.Next(HandlerReasons.Length)], settings, eligible),
            < 85 => new CheckMaxTalk(Room, epoch, settings, eligible),
            _ => new CheckEndOfMedia(Room, epoch, random.Next(3) == 0 ? null : now - TimeSpan.FromMilliseconds(random.Next(0, 6_000)), settings, eligible),
        };
    }
}
