namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_releasing_the_floor
{
    [Fact]
    public void the_holder_releases_and_with_nobody_queued_the_floor_goes_idle_at_the_same_epoch()
    {
        var acted = Given(AliceHolds())
            .When(Release(Alice, 1), At(7))
            .Then(Released(Alice, 1, At(7)), Idle(1, "released", At(7)))
            .ThenState(new FloorState.Idle(1));
        Assert.Equal(new FloorOutcome.None(), FloorOutcome.For(Alice, acted.Before, acted.Events));
    }

    [Fact]
    public void the_holder_releases_and_the_first_queued_device_gets_the_next_epoch() =>
        Given(AliceHolds(Bob, Carol))
            .When(Release(Alice, 1), At(7))
            .Then(Released(Alice, 1, At(7)), Granted(Bob, 2, At(7), GrantKind.QueueHandOver))
            .ThenState(Taken(Bob, 2, At(7), Carol));

    [Fact]
    public void the_hand_over_grant_uses_the_settings_current_at_release()
    {
        var settings = Settings with { MaxTalk = TimeSpan.FromSeconds(12), EndOfMedia = TimeSpan.FromSeconds(1) };
        Given(AliceHolds(Bob))
            .When(Release(Alice, 1, settings: settings), At(7))
            .Then(Released(Alice, 1, At(7)), Granted(Bob, 2, At(7), GrantKind.QueueHandOver, settings));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void a_stale_or_future_epoch_changes_nothing(long epoch) =>
        Given(AliceHolds(Bob))
            .When(Release(Alice, epoch), At(7))
            .Then();

    [Fact]
    public void the_previous_holder_releasing_its_old_epoch_changes_nothing() =>
        Given([.. AliceHolds(Bob), Released(Alice, 1, At(7)), Granted(Bob, 2, At(7), GrantKind.QueueHandOver)])
            .When(Release(Alice, 1), At(8))
            .Then();

    [Fact]
    public void a_device_that_neither_holds_nor_waits_changes_nothing() =>
        Given(AliceHolds(Bob))
            .When(Release(Carol, 1), At(7))
            .Then();

    [Fact]
    public void releasing_an_idle_floor_changes_nothing() =>
        Given()
            .When(Release(Alice, 0), T0)
            .Then();

    [Fact]
    public void a_queued_device_that_releases_leaves_the_queue_whatever_epoch_it_names()
    {
        var acted = Given(AliceHolds(Bob, Carol))
            .When(Release(Bob, 0), At(7))
            .Then(LeftQueue(Bob, LeaveReason.Released, At(7)))
            .ThenState(Taken(Alice, 1, T0, Carol));
        Assert.Equal(new FloorOutcome.Queued(1), FloorOutcome.For(Carol, acted.Before, acted.Events));
        Assert.Equal(new FloorOutcome.None(), FloorOutcome.For(Bob, acted.Before, acted.Events));
    }
}
