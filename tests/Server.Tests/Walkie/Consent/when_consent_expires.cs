namespace WalkieTalkie.Server.Tests.Walkie.Consent;

using WalkieTalkie.Server.Walkie.Consent;
using static ConsentSpec;

public sealed class when_consent_expires
{
    [Fact]
    public void the_timer_at_the_expiry_ends_the_consent() =>
        Given(Given(T0, T0 + Hour))
            .When(ExpireDue(T0 + Hour), T0 + Hour)
            .Then(Expired(T0 + Hour, T0 + Hour))
            .ThenState(new Consent.None());

    [Fact]
    public void a_late_timer_ends_it_at_the_time_it_fired() =>
        Given(Given(T0, T0 + Hour))
            .When(ExpireDue(T0 + Hour), T0 + Hour + TimeSpan.FromSeconds(2))
            .Then(Expired(T0 + Hour + TimeSpan.FromSeconds(2), T0 + Hour));

    [Fact]
    public void an_early_timer_changes_nothing() =>
        Given(Given(T0, T0 + Hour))
            .When(ExpireDue(T0 + Hour), T0 + Hour - TimeSpan.FromTicks(1))
            .Then();

    [Fact]
    public void the_timer_of_a_consent_that_was_since_renewed_changes_nothing() =>
        Given(Given(T0, T0 + Hour), Given(At(600), At(600) + Hour))
            .When(ExpireDue(T0 + Hour), T0 + Hour)
            .Then();

    [Fact]
    public void the_renewed_consent_expires_on_its_own_timer() =>
        Given(Given(T0, T0 + Hour), Given(At(600), At(600) + Hour))
            .When(ExpireDue(At(600) + Hour), At(600) + Hour)
            .Then(Expired(At(600) + Hour, At(600) + Hour));

    [Fact]
    public void a_consent_made_permanent_ignores_the_old_timer() =>
        Given(Given(T0, T0 + Hour), Given(At(600), null))
            .When(ExpireDue(T0 + Hour), T0 + Hour)
            .Then();

    [Fact]
    public void the_timer_after_a_withdrawal_changes_nothing() =>
        Given(Given(T0, T0 + Hour), Withdrawn(At(60)))
            .When(ExpireDue(T0 + Hour), T0 + Hour)
            .Then();

    [Fact]
    public void a_timer_without_any_consent_changes_nothing() =>
        Given()
            .When(ExpireDue(T0), T0)
            .Then();
}
