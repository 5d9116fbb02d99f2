namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_handing_over_the_floor
{
    [Fact]
    public void the_queue_is_served_first_come_first_served()
    {
        var history = new List<FloorEvent>(AliceHolds(Bob, Carol, Dave));
        var holders = new List<DeviceRef>();
        for (var (holder, epoch) = (Alice, 1L); epoch <= 4; epoch++)
        {
            var state = FloorDecider.Replay(history);
            var events = FloorDecider.Decide(Release(holder, epoch), state, At(10 * epoch));
            history.AddRange(events);
            if (events.OfType<FloorGranted>().SingleOrDefault() is { } next) holders.Add(holder = next.Holder);
        }
        Assert.Equal([Bob, Carol, Dave], holders);
        Assert.Equal(new FloorState.Idle(4), FloorDecider.Replay(history));
    }

    [Fact]
    public void devices_that_are_no_longer_eligible_are_skipped_and_leave_the_queue() =>
        Given(AliceHolds(Bob, Carol, Dave))
            .When(Release(Alice, 1, AllBut(Bob)), At(7))
            .Then(
                Released(Alice, 1, At(7)),
                LeftQueue(Bob, LeaveReason.SkippedIneligible, At(7)),
                Granted(Carol, 2, At(7), GrantKind.QueueHandOver))
            .ThenState(Taken(Carol, 2, At(7), Dave));

    [Fact]
    public void when_nobody_queued_is_eligible_the_floor_goes_idle_with_the_release_reason() =>
        Given(AliceHolds(Bob, Carol))
            .When(Release(Alice, 1, AllBut(Bob, Carol)), At(7))
            .Then(
                Released(Alice, 1, At(7)),
                LeftQueue(Bob, LeaveReason.SkippedIneligible, At(7)),
                LeftQueue(Carol, LeaveReason.SkippedIneligible, At(7)),
                Idle(1, "released", At(7)))
            .ThenState(new FloorState.Idle(1));

    [Fact]
    public void a_revoke_hands_over_the_same_way() =>
        Given(AliceHolds(Bob, Carol))
            .When(MaxTalkDue(1, AllBut(Bob)), At(30))
            .Then(
                Revoked(Alice, 1, RevokeReason.MaxTalkTime, At(30)),
                LeftQueue(Bob, LeaveReason.SkippedIneligible, At(30)),
                Granted(Carol, 2, At(30), GrantKind.QueueHandOver));

    [Fact]
    public void eligibility_is_asked_only_until_someone_is_eligible()
    {
        var asked = new List<DeviceRef>();
        Given(AliceHolds(Bob, Carol, Dave))
            .When(Release(Alice, 1, d => { asked.Add(d); return d != Bob; }), At(7))
            .Then(
                Released(Alice, 1, At(7)),
                LeftQueue(Bob, LeaveReason.SkippedIneligible, At(7)),
                Granted(Carol, 2, At(7), GrantKind.QueueHandOver));
        Assert.Equal([Bob, Carol], asked);
    }

    [Fact]
    public void a_new_request_after_a_hand_over_queues_behind_those_still_waiting() =>
        Given([.. AliceHolds(Bob, Carol), Released(Alice, 1, At(7)), Granted(Bob, 2, At(7), GrantKind.QueueHandOver)])
            .When(Request(Alice), At(8))
            .Then(Requested(Alice, At(8)), Queued(Alice, 2, At(8)))
            .ThenState(Taken(Bob, 2, At(7), Carol, Alice));
}
