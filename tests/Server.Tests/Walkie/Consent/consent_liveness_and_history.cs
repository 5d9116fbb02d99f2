namespace WalkieTalkie.Server.Tests.Walkie.Consent;

using WalkieTalkie.Server.Walkie.Consent;
using static ConsentSpec;

public sealed class consent_liveness_and_history
{
    [Fact]
    public void no_consent_is_not_live() => Assert.False(ConsentDecider.IsLive(Consent.Initial, T0));

    [Fact]
    public void a_permanent_consent_is_live_forever() =>
        Assert.True(ConsentDecider.IsLive(new Consent.Active(T0, null), DateTimeOffset.MaxValue));

    [Fact]
    public void a_timed_consent_is_live_until_just_before_its_expiry()
    {
        var consent = new Consent.Active(T0, T0 + Hour);
        Assert.True(ConsentDecider.IsLive(consent, T0));
        Assert.True(ConsentDecider.IsLive(consent, T0 + Hour - TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void a_lapsed_consent_is_dead_even_before_its_timer_fires()
    {
        var state = ConsentDecider.Replay([Given(T0, T0 + Hour)]);
        Assert.IsType<Consent.Active>(state);
        Assert.False(ConsentDecider.IsLive(state, T0 + Hour));
    }

    [Fact]
    public void the_stream_is_one_per_room_and_device() =>
        Assert.Equal("consent:!walkie:example.org:@alice:example.org:ALICEPHONE", ConsentStream.Id(Room, Alice));

    public static TheoryData<string, ConsentEvent[]> ImpossibleHistories => new()
    {
        { "a withdrawal without consent", [Withdrawn(T0)] },
        { "an expiry without consent", [Expired(T0, T0)] },
        { "an expiry of a permanent consent", [Given(T0, null), Expired(At(1), At(1))] },
        { "an expiry at another time than the consent's", [Given(T0, T0 + Hour), Expired(T0 + Hour, T0 + 2 * Hour)] },
        { "a withdrawal after expiry", [Given(T0, T0 + Hour), Expired(T0 + Hour, T0 + Hour), Withdrawn(T0 + 2 * Hour)] },
    };

    [Theory]
    [MemberData(nameof(ImpossibleHistories))]
    public void an_impossible_history_fails_loudly(string because, ConsentEvent[] history)
    {
        var error = Record.Exception(() => ConsentDecider.Replay(history));
        Assert.True(error is InvalidOperationException { Message: var m } && m.StartsWith("Impossible consent history"),
            $"{because}: expected an impossible-history error, got {error?.ToString() ?? "none"}");
    }
}
