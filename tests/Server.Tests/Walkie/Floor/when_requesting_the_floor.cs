namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_requesting_the_floor
{
    [Fact]
    public void an_idle_floor_is_granted_with_epoch_one_and_the_max_talk_deadline() =>
        Given()
            .When(Request(Alice), T0)
            .Then(Requested(Alice, T0), new FloorGranted(Room, Alice, 1, T0, At(30), TimeSpan.FromSeconds(4), GrantKind.Requested))
            .ThenState(Taken(Alice, 1, T0));

    [Fact]
    public void the_epoch_continues_from_the_last_grant() =>
        Given([.. AliceHolds(), Released(Alice, 1, At(5)), Idle(1, "released", At(5))])
            .When(Request(Bob), At(9))
            .Then(Requested(Bob, At(9)), Granted(Bob, 2, At(9)));

    [Fact]
    public void the_grant_takes_max_talk_and_end_of_media_from_the_current_settings()
    {
        var settings = Settings with { MaxTalk = TimeSpan.FromSeconds(10), EndOfMedia = TimeSpan.FromSeconds(2) };
        Given()
            .When(Request(Alice, settings: settings), T0)
            .Then(Requested(Alice, T0), new FloorGranted(Room, Alice, 1, T0, At(10), TimeSpan.FromSeconds(2), GrantKind.Requested));
    }

    [Theory]
    [InlineData(FloorPriority.Normal)]
    [InlineData(FloorPriority.Preempt)]
    public void the_holder_asking_again_changes_nothing_and_is_answered_with_the_same_grant(FloorPriority priority)
    {
        var given = Given(AliceHolds(Bob));
        var acted = given.When(Request(Alice, priority, powerLevel: 100), At(3)).Then();
        Assert.Equal(new FloorOutcome.Granted(1, At(30)), FloorOutcome.For(Alice, given.State, acted.Events));
    }

    [Fact]
    public void a_taken_floor_queues_the_requester_at_the_end()
    {
        var acted = Given(AliceHolds(Bob))
            .When(Request(Carol), At(5))
            .Then(Requested(Carol, At(5)), Queued(Carol, 2, At(5)))
            .ThenState(Taken(Alice, 1, T0, Bob, Carol));
        Assert.Equal(new FloorOutcome.Queued(2), FloorOutcome.For(Carol, acted.Before, acted.Events));
    }

    [Fact]
    public void a_queued_device_asking_again_keeps_its_place()
    {
        var given = Given(AliceHolds(Bob, Carol));
        var acted = given.When(Request(Bob), At(5)).Then();
        Assert.Equal(new FloorOutcome.Queued(1), FloorOutcome.For(Bob, given.State, acted.Events));
    }

    [Fact]
    public void a_queued_device_stays_queued_after_the_room_turns_its_queue_off() =>
        Given(AliceHolds(Bob))
            .When(Request(Bob, settings: NoQueue), At(5))
            .Then();

    [Fact]
    public void without_a_queue_a_taken_floor_is_denied_naming_the_holder()
    {
        var acted = Given(AliceHolds())
            .When(Request(Bob, settings: NoQueue), At(5))
            .Then(Requested(Bob, At(5)), Denied(Bob, Alice, At(5)))
            .ThenState(Taken(Alice, 1, T0));
        Assert.Equal(new FloorOutcome.Denied(Alice, DenyReason.Taken), FloorOutcome.For(Bob, acted.Before, acted.Events));
    }
}
