namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class when_max_talk_time_is_due
{
    [Fact]
    public void before_the_deadline_nothing_happens() =>
        Given(AliceHolds())
            .When(MaxTalkDue(1), At(30).AddTicks(-1))
            .Then();

    [Fact]
    public void at_the_deadline_the_holder_is_revoked_and_the_floor_goes_idle() =>
        Given(AliceHolds())
            .When(MaxTalkDue(1), At(30))
            .Then(Revoked(Alice, 1, RevokeReason.MaxTalkTime, At(30)), Idle(1, "max_talk_time", At(30)));

    [Fact]
    public void a_late_timer_still_revokes_and_hands_over() =>
        Given(AliceHolds(Bob))
            .When(MaxTalkDue(1), At(31.5))
            .Then(Revoked(Alice, 1, RevokeReason.MaxTalkTime, At(31.5)), Granted(Bob, 2, At(31.5), GrantKind.QueueHandOver));

    [Fact]
    public void a_timer_of_an_earlier_grant_changes_nothing() =>
        Given([.. AliceHolds(Bob), Released(Alice, 1, At(7)), Granted(Bob, 2, At(7), GrantKind.QueueHandOver)])
            .When(MaxTalkDue(1), At(30))
            .Then();

    [Fact]
    public void a_timer_on_an_idle_floor_changes_nothing() =>
        Given([.. AliceHolds(), Released(Alice, 1, At(7)), Idle(1, "released", At(7))])
            .When(MaxTalkDue(1), At(30))
            .Then();
}

public sealed class when_end_of_media_is_due
{
    [Fact]
    public void silence_since_the_grant_for_end_of_media_revokes() =>
        Given(AliceHolds())
            .When(EndOfMediaDue(1), At(4))
            .Then(Revoked(Alice, 1, RevokeReason.EndOfMedia, At(4)), Idle(1, "end_of_media", At(4)));

    [Fact]
    public void shorter_silence_since_the_grant_changes_nothing() =>
        Given(AliceHolds())
            .When(EndOfMediaDue(1), At(4).AddTicks(-1))
            .Then();

    [Fact]
    public void silence_is_measured_from_the_last_audio_frame() =>
        Given(AliceHolds())
            .When(EndOfMediaDue(1, lastMediaAt: At(10)), At(13.9))
            .Then();

    [Fact]
    public void silence_since_the_last_audio_frame_for_end_of_media_revokes_and_hands_over() =>
        Given(AliceHolds(Bob))
            .When(EndOfMediaDue(1, lastMediaAt: At(10)), At(14))
            .Then(Revoked(Alice, 1, RevokeReason.EndOfMedia, At(14)), Granted(Bob, 2, At(14), GrantKind.QueueHandOver));

    [Fact]
    public void media_from_before_the_grant_does_not_count_against_the_new_holder() =>
        Given(AliceHolds())
            .When(EndOfMediaDue(1, lastMediaAt: At(-10)), At(3))
            .Then();

    [Fact]
    public void the_end_of_media_promised_at_the_grant_applies_even_if_the_settings_changed() =>
        Given(AliceHolds())
            .When(EndOfMediaDue(1, settings: Settings with { EndOfMedia = TimeSpan.FromSeconds(10) }), At(4))
            .Then(Revoked(Alice, 1, RevokeReason.EndOfMedia, At(4)), Idle(1, "end_of_media", At(4)));

    [Fact]
    public void a_timer_of_an_earlier_grant_changes_nothing() =>
        Given([.. AliceHolds(Bob), Released(Alice, 1, At(2)), Granted(Bob, 2, At(2), GrantKind.QueueHandOver)])
            .When(EndOfMediaDue(1), At(9))
            .Then();

    [Fact]
    public void a_timer_on_an_idle_floor_changes_nothing() =>
        Given()
            .When(EndOfMediaDue(0), At(9))
            .Then();
}
