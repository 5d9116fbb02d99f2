namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_preempting_the_floor
{
    [Theory]
    [InlineData(50, 0)]   // exactly at the threshold, above the holder
    [InlineData(100, 50)]
    [InlineData(51, 50)]
    public void a_requester_at_or_above_the_threshold_and_strictly_above_the_holder_takes_the_floor(int requester, int holder) =>
        Given(AliceHolds())
            .When(Preempt(Bob, requester, holder), At(5))
            .Then(
                Requested(Bob, At(5), FloorPriority.Preempt),
                Revoked(Alice, 1, RevokeReason.Preempted, At(5), by: Bob),
                Granted(Bob, 2, At(5), GrantKind.Preemption))
            .ThenState(Taken(Bob, 2, At(5)));

    [Theory]
    [InlineData(100, 100)] // equal power level
    [InlineData(49, 0)]    // below the threshold
    [InlineData(50, 50)]   // at the threshold but not above the holder
    [InlineData(60, 75)]   // above the threshold, below the holder
    public void without_both_conditions_the_requester_is_queued_like_anyone(int requester, int holder) =>
        Given(AliceHolds())
            .When(Preempt(Bob, requester, holder), At(5))
            .Then(Requested(Bob, At(5), FloorPriority.Preempt), Queued(Bob, 1, At(5), requester));

    [Fact]
    public void without_both_conditions_and_without_a_queue_the_requester_is_denied() =>
        Given(AliceHolds())
            .When(Preempt(Bob, 50, 50, NoQueue), At(5))
            .Then(Requested(Bob, At(5), FloorPriority.Preempt), Denied(Bob, Alice, At(5)));

    [Fact]
    public void normal_priority_never_preempts_whatever_the_power_levels() =>
        Given(AliceHolds())
            .When(Request(Bob, FloorPriority.Normal, powerLevel: 100, holderPowerLevel: 0), At(5))
            .Then(Requested(Bob, At(5)), Queued(Bob, 1, At(5), 100));

    [Fact]
    public void an_unknown_holder_power_level_never_preempts() =>
        Given(AliceHolds())
            .When(Preempt(Bob, 100, holderPowerLevel: null), At(5))
            .Then(Requested(Bob, At(5), FloorPriority.Preempt), Queued(Bob, 1, At(5), 100));

    [Fact]
    public void the_threshold_comes_from_the_room_settings() =>
        Given(AliceHolds())
            .When(Preempt(Bob, 50, 0, Settings with { PreemptPowerLevel = 75 }), At(5))
            .Then(Requested(Bob, At(5), FloorPriority.Preempt), Queued(Bob, 1, At(5), 50));

    [Fact]
    public void pre_emption_works_when_the_room_has_no_queue() =>
        Given(AliceHolds())
            .When(Preempt(Bob, 100, 0, NoQueue), At(5))
            .Then(
                Requested(Bob, At(5), FloorPriority.Preempt),
                Revoked(Alice, 1, RevokeReason.Preempted, At(5), by: Bob),
                Granted(Bob, 2, At(5), GrantKind.Preemption, NoQueue));

    [Fact]
    public void a_queued_device_that_preempts_leaves_the_queue_and_the_others_keep_their_order() =>
        Given(AliceHolds(Bob, Carol, Dave))
            .When(Preempt(Carol, 100, 0), At(5))
            .Then(
                Requested(Carol, At(5), FloorPriority.Preempt),
                Revoked(Alice, 1, RevokeReason.Preempted, At(5), by: Carol),
                Granted(Carol, 2, At(5), GrantKind.Preemption))
            .ThenState(Taken(Carol, 2, At(5), Bob, Dave));

    [Fact]
    public void the_pre_empted_holder_does_not_join_the_queue() =>
        Given(AliceHolds(Carol))
            .When(Preempt(Bob, 100, 0), At(5))
            .ThenState(Taken(Bob, 2, At(5), Carol));

    [Fact]
    public void preempt_on_an_idle_floor_is_an_ordinary_grant() =>
        Given()
            .When(Preempt(Bob, 100, null), T0)
            .Then(Requested(Bob, T0, FloorPriority.Preempt), Granted(Bob, 1, T0, GrantKind.Requested));
}
