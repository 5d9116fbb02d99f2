namespace WalkieTalkie.Server.Tests.Walkie.Consent;

using WalkieTalkie.Server.Walkie.Consent;
using static ConsentSpec;

public sealed class when_giving_consent
{
    [Fact]
    public void a_timed_consent_expires_after_its_duration() =>
        Given()
            .When(Give(Hour), T0)
            .Then(Given(T0, T0 + Hour))
            .ThenState(new Consent.Active(T0, T0 + Hour));

    [Fact]
    public void a_consent_without_duration_is_permanent() =>
        Given()
            .When(Give(), T0)
            .Then(Given(T0, null))
            .ThenState(new Consent.Active(T0, null));

    [Fact]
    public void giving_again_renews_from_now() =>
        Given(Given(T0, T0 + Hour))
            .When(Give(2 * Hour), At(600))
            .Then(Given(At(600), At(600) + 2 * Hour))
            .ThenState(new Consent.Active(At(600), At(600) + 2 * Hour));

    [Fact]
    public void a_permanent_consent_replaces_a_timed_one() =>
        Given(Given(T0, T0 + Hour))
            .When(Give(), At(60))
            .ThenState(new Consent.Active(At(60), null));

    [Fact]
    public void a_timed_consent_replaces_a_permanent_one() =>
        Given(Given(T0, null))
            .When(Give(Hour), At(60))
            .ThenState(new Consent.Active(At(60), At(60) + Hour));

    [Fact]
    public void consent_can_be_given_again_after_it_was_withdrawn() =>
        Given(Given(T0, null), Withdrawn(At(5)))
            .When(Give(Hour), At(10))
            .Then(Given(At(10), At(10) + Hour));

    [Fact]
    public void the_expiry_is_kept_to_whole_milliseconds_so_the_wire_value_and_the_timer_agree()
    {
        var now = T0.AddTicks(12_345);
        Given()
            .When(Give(Hour), now)
            .Then(Given(now, T0 + Hour + TimeSpan.FromMilliseconds(1)));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(30L * 24 * 3600 * 1000)] // exactly the maximum
    public void durations_from_one_millisecond_to_thirty_days_are_accepted(long ms) =>
        Given()
            .When(Give(TimeSpan.FromMilliseconds(ms)), T0)
            .Then(Given(T0, T0 + TimeSpan.FromMilliseconds(ms)));

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(30L * 24 * 3600 * 1000 + 1)]
    public void other_durations_are_a_domain_error(long ms)
    {
        var error = Given()
            .When(Give(TimeSpan.FromMilliseconds(ms)), T0)
            .ThenThrows<InvalidConsentDuration>();
        Assert.Equal(TimeSpan.FromMilliseconds(ms), error.Duration);
        Assert.Contains("duration_ms", error.Message);
    }
}
