namespace WalkieTalkie.Server.Tests.Walkie.Consent;

using WalkieTalkie.Server.Walkie.Consent;
using static ConsentSpec;

public sealed class when_withdrawing_consent
{
    [Theory]
    [InlineData(WithdrawReason.Withdrawn)]
    [InlineData(WithdrawReason.LeftRoom)]
    [InlineData(WithdrawReason.LoggedOut)]
    [InlineData(WithdrawReason.DeviceDeleted)]
    public void an_active_consent_ends_with_the_reason(WithdrawReason reason) =>
        Given(Given(T0, T0 + Hour))
            .When(Withdraw(reason), At(60))
            .Then(Withdrawn(At(60), reason))
            .ThenState(new Consent.None());

    [Fact]
    public void a_permanent_consent_can_be_withdrawn() =>
        Given(Given(T0, null))
            .When(Withdraw(), At(60))
            .Then(Withdrawn(At(60)));

    [Fact]
    public void without_consent_nothing_happens() =>
        Given()
            .When(Withdraw(), T0)
            .Then();

    [Fact]
    public void after_expiry_nothing_happens() =>
        Given(Given(T0, T0 + Hour), Expired(T0 + Hour, T0 + Hour))
            .When(Withdraw(WithdrawReason.LeftRoom), At(7200))
            .Then();

    [Fact]
    public void withdrawing_twice_changes_nothing_the_second_time() =>
        Given(Given(T0, null), Withdrawn(At(5)))
            .When(Withdraw(), At(6))
            .Then();
}
