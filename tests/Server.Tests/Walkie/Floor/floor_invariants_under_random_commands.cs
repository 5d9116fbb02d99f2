namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

/// <summary>
/// A seeded random walk through 10,000 commands from 20 devices with advancing time: requests of every priority (some
/// without consent), releases, departures, moderator revocations and timers, under four room settings (one with small caps).
/// </summary>
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
        FloorSettings[] settings =
        [
            Settings, NoQueue,
            Settings with { PreemptPowerLevel = 75, EmergencyPowerLevel = 50, MaxTalk = TimeSpan.FromSeconds(8), EndOfMedia = TimeSpan.FromSeconds(2) },
            Settings with { MaxQueue = 4, MaxQueuePerUser = 1 },
        ];
        var ineligible = new HashSet<DeviceRef>();
        Func<DeviceRef, bool> eligible = d => !ineligible.Contains(d);

        var state = FloorState.Initial;
        var history = new List<FloorEvent>();
        var seen = new HashSet<string>();
        DeviceRef? holder = null; // tracked from the events alone, independently of Evolve
        long lastEpoch = 0;
        var now = T0;
        var refused = new HashSet<FloorRefusal>();

        for (var step = 0; step < Steps; step++)
        {
            now += TimeSpan.FromMilliseconds(random.Next(0, 3_000));
            if (random.Next(8) == 0 && !ineligible.Remove(devices[random.Next(devices.Length)]))
                ineligible.Add(devices[random.Next(devices.Length)]);

            var command = NextCommand(random, state, devices, powerLevels, settings[random.Next(settings.Length)], eligible, now);
            FloorEvent[] decided;
            try { decided = FloorDecider.Decide(command, state, now); }
            catch (FloorRefused e)
            {
                refused.Add(e.Refusal);
                continue;
            }
            var emergencyHolder = state is FloorState.Taken { Emergency: true } before ? before.Holder : null;
            foreach (var e in decided)
            {
                switch (e)
                {
                    case FloorGranted g:
                        Assert.Null(holder);
                        Assert.Equal(lastEpoch + 1, g.Epoch);
                        Assert.True(g.How != GrantKind.QueueHandOver || eligible(g.Holder), "hand-over to an ineligible device");
                        (holder, lastEpoch) = (g.Holder, g.Epoch);
                        break;
                    case FloorRevoked { Reason: RevokeReason.Preempted } p:
                        Assert.NotEqual(emergencyHolder, p.Holder); // nobody pre-empts an emergency
                        Assert.NotNull(holder);
                        holder = null;
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
                if (e is FloorGranted { Emergency: true }) seen.Add("Granted:Emergency");
            }

            Assert.Equal(lastEpoch, state.Epoch);
            switch (state)
            {
                case FloorState.Taken t:
                    Assert.Equal(holder, t.Holder);
                    Assert.DoesNotContain(t.Holder, t.Waiting);
                    Assert.Equal(t.Queue.Count, t.Waiting.Distinct().Count());
                    Assert.True(t.GrantedAt <= now && t.GrantedAt < t.ExpiresAt);
                    // Priority order: emergency first, then power level, arrival order among equals (Evolve checks the last).
                    Assert.All(t.Queue.Zip(t.Queue.Skip(1)), pair => Assert.True(pair.First.OutranksOrEquals(pair.Second), $"queue out of order: {pair}"));
                    if (command is RequestFloor r && decided.OfType<FloorQueued>().Any())
                    {
                        Assert.True(t.Queue.Count <= r.Settings.MaxQueue, "queued past the room cap");
                        Assert.True(t.Waiting.Count(d => d.UserId == r.Requester.UserId) <= r.Settings.MaxQueuePerUser, "queued past the user cap");
                    }
                    break;
                case FloorState.Idle:
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
                .. Enum.GetValues<RevokeReason>().Where(r => r != RevokeReason.HostChanged).Select(r => $"Revoked:{r}"), // host_changed: FloorHost.TakeOver
            ]),
            seen);
        Assert.Contains("Granted:Emergency", seen);
        Assert.Equal(Enum.GetValues<FloorRefusal>().ToHashSet(), refused);
        Assert.True(lastEpoch > 1_000, $"only {lastEpoch} grants in {Steps} steps");
    }

    static FloorDeciderCommand NextCommand(Random random, FloorState state, DeviceRef[] devices, Dictionary<DeviceRef, int> powerLevels,
        FloorSettings settings, Func<DeviceRef, bool> eligible, DateTimeOffset now)
    {
        var taken = state as FloorState.Taken;
        // Aim at the holder half the time, so releases and revokes often land.
        var device = taken is not null && random.Next(2) == 0 ? taken.Holder : devices[random.Next(devices.Length)];
        var epoch = random.Next(5) == 0 ? state.Epoch - random.Next(1, 3) : state.Epoch;
        var priority = random.Next(8) switch { 0 or 1 => FloorPriority.Preempt, 2 => FloorPriority.Emergency, _ => FloorPriority.Normal };
        return random.Next(100) switch
        {
            < 40 => new RequestFloor(Room, device, priority, powerLevels[device], taken is null ? null : powerLevels[taken.Holder], settings,
                HasConsent: random.Next(20) != 0),
            < 52 => new ReleaseFloor(Room, device, epoch, settings, eligible),
            < 64 => new RevokeFloor(Room, device, HandlerReasons[random.Next(HandlerReasons.Length)], settings, eligible),
            < 70 => new ModerateFloor(Room, devices[random.Next(devices.Length)], powerLevels[devices[random.Next(devices.Length)]], 50,
                device.UserId, random.Next(2) == 0 ? device.DeviceId : null, powerLevels[device], settings, eligible),
            < 85 => new CheckMaxTalk(Room, epoch, settings, eligible),
            _ => new CheckEndOfMedia(Room, epoch, random.Next(3) == 0 ? null : now - TimeSpan.FromMilliseconds(random.Next(0, 6_000)), settings, eligible),
        };
    }
}
