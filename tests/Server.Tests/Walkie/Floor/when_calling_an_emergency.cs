namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_calling_an_emergency
{
    [Fact]
    public void an_emergency_on_an_idle_floor_is_a_grant_marked_emergency() =>
        Given()
            .When(Emergency(Bob), T0)
            .Then(Requested(Bob, T0, FloorPriority.Emergency), Granted(Bob, 1, T0, emergency: true))
            .ThenState(Taken(Bob, 1, T0) with { Emergency = true });

    [Fact]
    public void an_emergency_pre_empts_a_holder_of_a_higher_power_level() =>
        Given(AliceHolds())
            .When(Emergency(Bob, powerLevel: 100, holderPowerLevel: 150, settings: Settings with { EmergencyPowerLevel = 100 }), At(5))
            .Then(
                Requested(Bob, At(5), FloorPriority.Emergency),
                Revoked(Alice, 1, RevokeReason.Preempted, At(5), by: Bob),
                Granted(Bob, 2, At(5), GrantKind.Preemption, emergency: true));

    [Fact]
    public void an_emergency_below_the_emergency_power_level_is_refused_and_changes_nothing() =>
        Assert.Equal(FloorRefusal.EmergencyNotAllowed,
            Given(AliceHolds()).When(Emergency(Bob, powerLevel: 99), At(5)).ThenThrows<FloorRefused>().Refusal);

    [Fact]
    public void the_emergency_power_level_comes_from_the_room_settings() =>
        Given()
            .When(Emergency(Bob, powerLevel: 10, settings: Settings with { EmergencyPowerLevel = 10 }), T0)
            .Then(Requested(Bob, T0, FloorPriority.Emergency), Granted(Bob, 1, T0, emergency: true));

    [Fact]
    public void nobody_pre_empts_an_emergency_holder_a_second_emergency_waits_first_in_line()
    {
        var acted = Given([.. AliceHolds(), Requested(Bob, At(1), FloorPriority.Emergency), Revoked(Alice, 1, RevokeReason.Preempted, At(1), by: Bob),
                Granted(Bob, 2, At(1), GrantKind.Preemption, emergency: true), Requested(Dave, At(2)), Queued(Dave, 1, At(2), 100)])
            .When(Emergency(Carol, holderPowerLevel: 0), At(5))
            .Then(Requested(Carol, At(5), FloorPriority.Emergency), Queued(Carol, 1, At(5), 100, emergency: true));
        Assert.Equal([Carol, Dave], QueueOf(acted.After));
    }

    [Fact]
    public void preempt_does_not_take_the_floor_from_an_emergency_holder() =>
        Given(Requested(Bob, T0, FloorPriority.Emergency), Granted(Bob, 1, T0, emergency: true))
            .When(Preempt(Carol, 100, holderPowerLevel: 0), At(5))
            .Then(Requested(Carol, At(5), FloorPriority.Preempt), Queued(Carol, 1, At(5), 100));

    [Fact]
    public void a_queued_emergency_is_handed_the_floor_as_an_emergency() =>
        Given([.. AliceHolds(Dave), Requested(Carol, At(2), FloorPriority.Emergency), Queued(Carol, 1, At(2), 100, emergency: true)])
            .When(Release(Alice, 1), At(5))
            .Then(Released(Alice, 1, At(5)), Granted(Carol, 2, At(5), GrantKind.QueueHandOver, emergency: true));

    [Fact]
    public void the_granted_outcome_and_the_view_carry_the_emergency_mark()
    {
        var acted = Given().When(Emergency(Bob), T0);
        Assert.Equal(new FloorOutcome.Granted(1, At(30), Emergency: true), FloorOutcome.For(Bob, acted.Before, acted.Events));
        Assert.True(FloorView.From(acted.After).Emergency);
        Assert.Contains("\"emergency\":true", System.Text.Json.JsonSerializer.Serialize(FloorView.From(acted.After)));
        Assert.DoesNotContain("emergency", System.Text.Json.JsonSerializer.Serialize(FloorView.From(Taken(Alice, 1, T0))));
    }
}
