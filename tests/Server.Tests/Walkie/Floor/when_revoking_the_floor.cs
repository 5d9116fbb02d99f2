namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_revoking_the_floor
{
    [Theory]
    [InlineData(RevokeReason.ConsentExpired, "consent_expired")]
    [InlineData(RevokeReason.ConsentRevoked, "consent_revoked")]
    [InlineData(RevokeReason.LeftRoom, "left_room")]
    [InlineData(RevokeReason.Disconnected, "disconnected")]
    public void the_holder_loses_the_floor_and_an_empty_queue_leaves_it_idle_with_that_reason(RevokeReason reason, string wire) =>
        Given(AliceHolds())
            .When(Revoke(Alice, reason), At(6))
            .Then(Revoked(Alice, 1, reason, At(6)), Idle(1, wire, At(6)))
            .ThenState(new FloorState.Idle(1));

    [Theory]
    [InlineData(RevokeReason.ConsentExpired)]
    [InlineData(RevokeReason.ConsentRevoked)]
    [InlineData(RevokeReason.LeftRoom)]
    [InlineData(RevokeReason.Disconnected)]
    public void the_holder_loses_the_floor_to_the_first_queued_device(RevokeReason reason) =>
        Given(AliceHolds(Bob))
            .When(Revoke(Alice, reason), At(6))
            .Then(Revoked(Alice, 1, reason, At(6)), Granted(Bob, 2, At(6), GrantKind.QueueHandOver))
            .ThenState(Taken(Bob, 2, At(6)));

    [Theory]
    [InlineData(RevokeReason.ConsentExpired, LeaveReason.ConsentExpired)]
    [InlineData(RevokeReason.ConsentRevoked, LeaveReason.ConsentRevoked)]
    [InlineData(RevokeReason.LeftRoom, LeaveReason.LeftRoom)]
    public void a_queued_device_leaves_the_queue_with_the_matching_reason(RevokeReason reason, LeaveReason left) =>
        Given(AliceHolds(Bob, Carol))
            .When(Revoke(Bob, reason), At(6))
            .Then(LeftQueue(Bob, left, At(6)))
            .ThenState(Taken(Alice, 1, T0, Carol));

    [Fact]
    public void a_queued_device_that_disconnects_keeps_its_place() =>
        Given(AliceHolds(Bob, Carol))
            .When(Revoke(Bob, RevokeReason.Disconnected), At(6))
            .Then();

    [Theory]
    [InlineData(RevokeReason.ConsentExpired)]
    [InlineData(RevokeReason.LeftRoom)]
    [InlineData(RevokeReason.Disconnected)]
    public void a_device_that_neither_holds_nor_waits_changes_nothing(RevokeReason reason) =>
        Given(AliceHolds(Bob))
            .When(Revoke(Carol, reason), At(6))
            .Then();

    [Fact]
    public void an_idle_floor_changes_nothing() =>
        Given()
            .When(Revoke(Alice, RevokeReason.ConsentRevoked), T0)
            .Then();

    [Theory]
    [InlineData(RevokeReason.MaxTalkTime)]
    [InlineData(RevokeReason.EndOfMedia)]
    [InlineData(RevokeReason.Preempted)]
    public void reasons_that_have_their_own_command_are_refused(RevokeReason reason) =>
        Given(AliceHolds())
            .When(Revoke(Alice, reason), At(6))
            .ThenThrows<ArgumentException>();
}
