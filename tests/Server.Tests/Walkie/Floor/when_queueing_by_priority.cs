namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_queueing_by_priority
{
    [Fact]
    public void a_higher_power_level_enters_ahead_of_lower_ones_and_behind_equal_ones()
    {
        var acted = Given([.. AliceHolds(), Requested(Bob, At(1)), Queued(Bob, 1, At(1), 50), Requested(Carol, At(2)), Queued(Carol, 2, At(2), 0)])
            .When(Request(Dave, powerLevel: 50), At(3))
            .Then(Requested(Dave, At(3)), Queued(Dave, 2, At(3), 50));
        Assert.Equal([Bob, Dave, Carol], QueueOf(acted.After));
        Assert.Equal(new FloorOutcome.Queued(2), FloorOutcome.For(Dave, acted.Before, acted.Events));
    }

    [Fact]
    public void the_highest_level_goes_to_the_head_even_when_it_came_last() =>
        Given(AliceHolds(Bob, Carol))
            .When(Request(Dave, powerLevel: 75), At(5))
            .Then(Requested(Dave, At(5)), Queued(Dave, 1, At(5), 75));

    [Fact]
    public void equal_priorities_keep_their_arrival_order() =>
        Given(AliceHolds(Bob, Carol))
            .When(Request(Dave), At(5))
            .Then(Requested(Dave, At(5)), Queued(Dave, 3, At(5)));

    [Fact]
    public void the_hand_over_goes_to_the_highest_priority_not_the_first_to_arrive()
    {
        var acted = Given([.. AliceHolds(Bob), Requested(Carol, At(2)), Queued(Carol, 1, At(2), 80)])
            .When(Release(Alice, 1), At(5))
            .Then(Released(Alice, 1, At(5)), Granted(Carol, 2, At(5), GrantKind.QueueHandOver));
        Assert.Equal([Bob], QueueOf(acted.After));
    }

    [Fact]
    public void a_queue_position_that_breaks_the_priority_order_is_an_impossible_history() =>
        Assert.Throws<InvalidOperationException>(() => FloorDecider.Replay(
            [.. AliceHolds(), Requested(Bob, At(1)), Queued(Bob, 1, At(1), 0), Requested(Carol, At(2)), Queued(Carol, 2, At(2), 50)]));
}
