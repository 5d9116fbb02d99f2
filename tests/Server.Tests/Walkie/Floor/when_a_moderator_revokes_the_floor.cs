namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_a_moderator_revokes_the_floor
{
    [Fact]
    public void the_holder_is_revoked_with_its_own_reason_and_the_floor_handed_over()
    {
        var acted = Given(AliceHolds(Bob))
            .When(Moderate(Dave, 50, Alice.UserId), At(5))
            .Then(Revoked(Alice, 1, RevokeReason.RevokedByModerator, At(5), by: Dave), Granted(Bob, 2, At(5), GrantKind.QueueHandOver));
        Assert.Equal(new FloorOutcome.Moderated(Alice, []), FloorOutcome.ModeratedBy(acted.Events));
        Assert.Equal("revoked_by_moderator", RevokeReason.RevokedByModerator.ToWire());
    }

    [Fact]
    public void an_emergency_holder_can_be_revoked_by_a_moderator() =>
        Given(Requested(Bob, T0, FloorPriority.Emergency), Granted(Bob, 1, T0, emergency: true))
            .When(Moderate(Dave, 100, Bob.UserId, targetLevel: 50), At(5))
            .Then(Revoked(Bob, 1, RevokeReason.RevokedByModerator, At(5), by: Dave), Idle(1, "revoked_by_moderator", At(5)));

    [Fact]
    public void a_queued_device_is_removed_and_the_holder_keeps_the_floor()
    {
        var acted = Given(AliceHolds(Bob, Carol))
            .When(Moderate(Dave, 50, Bob.UserId, Bob.DeviceId), At(5))
            .Then(LeftQueue(Bob, LeaveReason.RemovedByModerator, At(5)));
        Assert.Equal([Carol], QueueOf(acted.After));
        Assert.Equal(new FloorOutcome.Moderated(null, [Bob]), FloorOutcome.ModeratedBy(acted.Events));
    }

    [Fact]
    public void without_a_device_every_device_of_the_user_goes_and_the_hand_over_skips_them()
    {
        var bobPhone = Bob with { DeviceId = "BOBPHONE" };
        Given([.. AliceHolds(Bob, Carol), Requested(bobPhone, At(4)), Queued(bobPhone, 3, At(4))])
            .When(Moderate(Dave, 50, Bob.UserId), At(5))
            .Then(LeftQueue(Bob, LeaveReason.RemovedByModerator, At(5)), LeftQueue(bobPhone, LeaveReason.RemovedByModerator, At(5)))
            .ThenState(Taken(Alice, 1, T0, Carol));
    }

    [Fact]
    public void holder_and_queue_together_the_queue_goes_first_so_no_removed_device_is_handed_the_floor()
    {
        var alicePhone = Alice with { DeviceId = "ALICEWEB" };
        Given([.. AliceHolds(Bob), Requested(alicePhone, At(4)), Queued(alicePhone, 1, At(4), 50)])
            .When(Moderate(Dave, 60, Alice.UserId, targetLevel: 50), At(5))
            .Then(
                LeftQueue(alicePhone, LeaveReason.RemovedByModerator, At(5)),
                Revoked(Alice, 1, RevokeReason.RevokedByModerator, At(5), by: Dave),
                Granted(Bob, 2, At(5), GrantKind.QueueHandOver));
    }

    [Theory]
    [InlineData(49, 0)]  // below the kick level
    [InlineData(50, 50)] // not above the target
    [InlineData(60, 75)] // below the target
    public void a_member_who_could_not_kick_the_target_is_refused(int level, int targetLevel) =>
        Assert.Equal(FloorRefusal.NotModerator,
            Given(AliceHolds()).When(Moderate(Dave, level, Alice.UserId, targetLevel: targetLevel), At(5)).ThenThrows<FloorRefused>().Refusal);

    [Fact]
    public void a_moderator_may_revoke_themselves_whatever_the_levels() =>
        Given(AliceHolds())
            .When(Moderate(Alice, 50, Alice.UserId, targetLevel: 50), At(5))
            .Then(Revoked(Alice, 1, RevokeReason.RevokedByModerator, At(5), by: Alice), Idle(1, "revoked_by_moderator", At(5)));

    [Fact]
    public void a_target_who_neither_holds_nor_waits_changes_nothing() =>
        Given(AliceHolds(Bob)).When(Moderate(Dave, 50, Carol.UserId), At(5)).Then();

    [Fact]
    public void an_idle_floor_changes_nothing() =>
        Given().When(Moderate(Dave, 50, Carol.UserId), At(5)).Then();
}
