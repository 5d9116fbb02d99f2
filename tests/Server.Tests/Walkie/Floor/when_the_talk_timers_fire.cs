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

/// <summary>
/// <see cref="FloorDecider.TimersQuietUntil"/>: the answer a timer re-arms on without deciding (max talk 30 s, end of
/// media 4 s). It must never say "quiet" where the decider would revoke, and never stay silent where nothing is due.
/// </summary>
public sealed class when_a_timer_asks_whether_anything_is_due
{
    static readonly FloorState.Taken AliceGrant = (FloorState.Taken)AliceHolds().Aggregate(FloorState.Initial, FloorDecider.Evolve);

    [Fact]
    public void while_audio_arrives_it_is_quiet_until_end_of_media_after_the_last_frame() =>
        Assert.Equal(At(14), FloorDecider.TimersQuietUntil(AliceGrant, At(10), At(12)));

    [Fact]
    public void near_max_talk_it_is_quiet_until_max_talk() =>
        Assert.Equal(At(30), FloorDecider.TimersQuietUntil(AliceGrant, At(28), At(29)));

    [Fact]
    public void after_end_of_media_of_silence_something_is_due() =>
        Assert.Null(FloorDecider.TimersQuietUntil(AliceGrant, At(10), At(14)));

    [Fact]
    public void at_max_talk_something_is_due_though_audio_arrives() =>
        Assert.Null(FloorDecider.TimersQuietUntil(AliceGrant, At(30), At(30)));

    [Fact]
    public void without_any_frame_silence_counts_from_the_grant() =>
        Assert.Null(FloorDecider.TimersQuietUntil(AliceGrant, null, At(4)));

    [Fact]
    public void it_agrees_with_the_decider_at_every_moment_of_a_grant()
    {
        var checkedMoments = 0;
        for (var nowMs = 0; nowMs <= 32_000; nowMs += 250)
            foreach (DateTimeOffset? last in new DateTimeOffset?[] { null, T0.AddSeconds(-1), At(nowMs / 1000.0 - 5), At(nowMs / 1000.0 - 4), At(nowMs / 1000.0 - 0.02), At(nowMs / 1000.0) })
            {
                var now = T0.AddMilliseconds(nowMs);
                var decided = FloorDecider.Decide(MaxTalkDue(1), AliceGrant, now).Length + FloorDecider.Decide(EndOfMediaDue(1, last), AliceGrant, now).Length;
                var quietUntil = FloorDecider.TimersQuietUntil(AliceGrant, last, now);
                Assert.True((decided == 0) == quietUntil.HasValue, $"at {nowMs} ms, last frame {last:O}: decided {decided} events, quiet until {quietUntil:O}");
                if (quietUntil is { } due) Assert.True(due > now, $"at {nowMs} ms the next due time {due:O} is not ahead");
                checkedMoments++;
            }
        Assert.Equal(129 * 6, checkedMoments);
    }
}
