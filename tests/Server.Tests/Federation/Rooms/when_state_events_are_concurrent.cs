using WalkieTalkie.Server.Federation.Rooms;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>The fork rule every server applies the same way: greater depth, then later origin_server_ts, then greater event id.</summary>
public class when_state_events_are_concurrent
{
    [Theory]
    [InlineData(5, 100, "$a", 4, 900, "$z", true)]
    [InlineData(5, 100, "$a", 5, 200, "$a", false)]
    [InlineData(5, 300, "$a", 5, 200, "$z", true)]
    [InlineData(5, 200, "$b", 5, 200, "$a", true)]
    [InlineData(5, 200, "$a", 5, 200, "$b", false)]
    public void the_winner_is_the_same_whichever_event_is_asked_about(long depth, long ts, string id, long otherDepth, long otherTs, string otherId, bool wins)
    {
        Assert.Equal(wins, ConcurrentState.Wins(depth, ts, id, otherDepth, otherTs, otherId));
        if (id != otherId) Assert.Equal(!wins, ConcurrentState.Wins(otherDepth, otherTs, otherId, depth, ts, id));
    }
}
