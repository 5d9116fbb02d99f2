namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_requesting_without_consent
{
    [Fact]
    public void an_idle_floor_is_refused_with_no_consent() =>
        Assert.Equal(FloorRefusal.NoConsent, Given().When(Request(Alice) with { HasConsent = false }, T0).ThenThrows<FloorRefused>().Refusal);

    [Fact]
    public void even_the_holder_asking_again_is_refused_once_its_consent_lapsed() =>
        Assert.Equal(FloorRefusal.NoConsent,
            Given(AliceHolds()).When(Request(Alice) with { HasConsent = false }, At(5)).ThenThrows<FloorRefused>().Refusal);

    [Fact]
    public void no_consent_is_checked_before_the_emergency_level() =>
        Assert.Equal(FloorRefusal.NoConsent,
            Given().When(Emergency(Bob, powerLevel: 0) with { HasConsent = false }, T0).ThenThrows<FloorRefused>().Refusal);
}
