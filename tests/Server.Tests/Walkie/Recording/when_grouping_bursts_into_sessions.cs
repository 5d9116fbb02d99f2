using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Recording;
using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Tests.Walkie.Recording;

public sealed class when_grouping_bursts_into_sessions
{
    static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_000);
    static readonly DeviceRef Alice = new("@alice:example.org", "PHONE");
    static readonly DeviceRef Bob = new("@bob:example.org", "RADIO");

    static BurstSummary Burst(DeviceRef speaker, long epoch, DateTimeOffset start, int frames) =>
        new("!radio:example.org", epoch, speaker, start, start.AddMilliseconds(frames * 20), frames, frames * 60L, "released");

    [Fact]
    public void a_burst_inside_the_gap_continues_and_one_at_or_past_it_does_not()
    {
        var first = Burst(Alice, 1, T0, 100);
        var session = WalkieSession.Start("!radio:example.org", "$root", first, 2000, "$m1");

        Assert.True(session.Continues(Burst(Bob, 2, first.EndedAt.AddMilliseconds(599_999), 10), 600_000, rootSenderJoined: true));
        Assert.False(session.Continues(Burst(Bob, 2, first.EndedAt.AddMilliseconds(600_000), 10), 600_000, rootSenderJoined: true));
        Assert.True(session.Continues(Burst(Bob, 2, T0.AddSeconds(-5), 10), 600_000, rootSenderJoined: true)); // posted out of order
        Assert.False(session.Continues(Burst(Bob, 2, first.EndedAt, 10), 600_000, rootSenderJoined: false)); // nobody can edit the root
    }

    [Fact]
    public void the_summary_names_each_speaker_in_order_of_first_burst_with_their_time_and_the_total()
    {
        var first = Burst(Alice, 1, T0, 210);
        var session = WalkieSession.Start("!radio:example.org", "$root", first, 4200, "$m1");
        Assert.Equal("🎙 Walkie-talkie session: @alice:example.org spoke 4.2 s", session.Summary());

        var second = Burst(Bob, 2, first.EndedAt.AddSeconds(1), 150);
        var third = Burst(Alice, 3, second.EndedAt.AddSeconds(1), 5);
        session = session.With(second, 3000, "$m2").With(third, 100, "$m3");

        Assert.Equal("🎙 Walkie-talkie session: @alice:example.org spoke 4.3 s, @bob:example.org spoke 3.0 s (3 bursts, 7.3 s)",
            session.Summary());
        Assert.Equal(("$m3", third.EndedAt, 7300L, 3), (session.LastEventId, session.LastEndedAt, session.DurationMs, session.Bursts));
    }

    [Fact]
    public void a_late_burst_does_not_move_the_session_end_back()
    {
        var first = Burst(Alice, 2, T0.AddSeconds(10), 50);
        var session = WalkieSession.Start("!radio:example.org", "$root", first, 1000, "$m1").With(Burst(Bob, 1, T0, 50), 1000, "$m2");
        Assert.Equal(first.EndedAt, session.LastEndedAt);
    }

    [Fact]
    public void the_root_edit_replaces_the_root_with_the_summary_as_new_content()
    {
        var session = WalkieSession.Start("!radio:example.org", "$root", Burst(Alice, 1, T0, 100), 2000, "$m1")
            .With(Burst(Bob, 2, T0.AddSeconds(3), 100), 2000, "$m2");
        var edit = RecordingContent.RootEdit(session);

        Assert.Equal("""{"rel_type":"m.replace","event_id":"$root"}""", edit["m.relates_to"]!.ToJsonString());
        Assert.Equal("* " + session.Summary(), edit["body"]!.GetValue<string>());
        Assert.Equal(RecordingContent.Root(session).ToJsonString(), edit["m.new_content"]!.ToJsonString());
        Assert.Null(edit[RecordingContent.SessionKey]);
    }
}
