namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_the_queue_is_full
{
    static readonly FloorSettings Caps = Settings with { MaxQueue = 2, MaxQueuePerUser = 1 };

    [Fact]
    public void a_user_with_a_device_in_the_queue_cannot_queue_another() =>
        Assert.Equal(FloorRefusal.UserQueueFull,
            Given(AliceHolds(Bob)).When(Request(Bob with { DeviceId = "BOBPHONE" }, settings: Caps), At(5)).ThenThrows<FloorRefused>().Refusal);

    [Fact]
    public void a_full_room_queue_refuses_the_next_device() =>
        Assert.Equal(FloorRefusal.RoomQueueFull,
            Given(AliceHolds(Bob, Carol)).When(Request(Dave, settings: Caps), At(5)).ThenThrows<FloorRefused>().Refusal);

    [Fact]
    public void below_the_caps_the_device_queues() =>
        Given(AliceHolds(Bob))
            .When(Request(Carol, settings: Caps), At(5))
            .Then(Requested(Carol, At(5)), Queued(Carol, 2, At(5)));

    [Fact]
    public void a_device_already_queued_asking_again_is_not_counted_twice() =>
        Given(AliceHolds(Bob, Carol)).When(Request(Carol, settings: Caps), At(5)).Then();

    [Fact]
    public void the_caps_do_not_stop_a_pre_emption_or_a_grant() =>
        Given(AliceHolds(Bob, Carol))
            .When(Preempt(Dave, 100, 0, Caps), At(5))
            .Then(
                Requested(Dave, At(5), FloorPriority.Preempt),
                Revoked(Alice, 1, RevokeReason.Preempted, At(5), by: Dave),
                Granted(Dave, 2, At(5), GrantKind.Preemption, Caps));

    [Fact]
    public void the_defaults_are_three_per_user_and_fifty_per_room() =>
        Assert.Equal((3, 50), (FloorSettings.Default.MaxQueuePerUser, FloorSettings.Default.MaxQueue));
}
