using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.Matrix.Rooms;
using static WalkieTalkie.Server.Tests.Federation.Rooms.ForkedRoom;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>
/// A remote state event on a fork: <see cref="ConcurrentState"/> finds the two branches in the stored graph and the room
/// takes their state resolution v2, where "greater (depth, origin_server_ts, event id) wins" would often differ.
/// </summary>
public class when_state_events_are_concurrent
{
    const string Demoted = """{"users":{"@alice:hs1.test":100,"@bob:hs2.test":0}}""";

    [Fact]
    public async Task an_event_on_every_extremity_takes_its_entry_without_resolution()
    {
        var room = WithAliceAndBob();
        var topic = room.Remote(Bob, EventTypes.Topic, "", """{"topic":"bob"}""", room.View(), room.Extremities.Keys.ToList());
        Assert.Null(await room.ReceiveAsync(topic));
        Assert.Equal(topic.Id, room.Current(EventTypes.Topic, ""));
    }

    [Fact]
    public async Task of_two_concurrent_topics_the_later_wins_whatever_the_depth()
    {
        var room = WithAliceAndBob();
        var (fork, view) = (room.Extremities.Keys.ToList(), room.View());
        var ours = room.Local(Alice, EventTypes.Topic, "", """{"topic":"alice"}""", ts: 5_000);
        // The remote topic is deeper (a message before it) but older.
        var message = room.Remote(Bob, EventTypes.Message, null, """{"body":"hi"}""", view, fork, ts: 4_000);
        await room.ReceiveAsync(message);
        var theirs = room.Remote(Bob, EventTypes.Topic, "", """{"topic":"bob"}""", view, [message.Id], ts: 4_500);
        Assert.True(room.Stored[message.Id].Depth + 1 > room.Stored[ours].Depth);

        var resolved = await room.ReceiveAsync(theirs);
        Assert.Equal(ours, resolved![(EventTypes.Topic, "")]);
        Assert.Equal(ours, room.Current(EventTypes.Topic, ""));
    }

    [Fact]
    public async Task a_topic_set_by_a_user_whose_power_was_concurrently_removed_is_undone()
    {
        var room = WithAliceAndBob();
        var (fork, view) = (room.Extremities.Keys.ToList(), room.View());
        var before = room.Current(EventTypes.Topic, "");
        var bobsTopic = room.Local(Bob, EventTypes.Topic, "", """{"topic":"bob"}""");
        var demotion = room.Remote(Alice, EventTypes.PowerLevels, "", Demoted, view, fork);

        var resolved = await room.ReceiveAsync(demotion);
        Assert.Equal(demotion.Id, resolved![(EventTypes.PowerLevels, "")]);
        // Bob's topic is the newer event (and greater depth would keep it); the value before the fork comes back.
        Assert.NotEqual(bobsTopic, room.Current(EventTypes.Topic, ""));
        Assert.Equal(before, room.Current(EventTypes.Topic, ""));
    }

    [Fact]
    public async Task a_ban_racing_the_banned_users_power_levels_keeps_them_out()
    {
        var room = WithAliceAndBob();
        var (fork, view) = (room.Extremities.Keys.ToList(), room.View());
        var powerBefore = room.Current(EventTypes.PowerLevels, "");
        var bobsLevels = room.Local(Bob, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100,"@bob:hs2.test":50},"state_default":0}""");
        var ban = room.Remote(Alice, EventTypes.Member, Bob, """{"membership":"ban"}""", view, fork);

        var resolved = await room.ReceiveAsync(ban);
        Assert.Equal(ban.Id, resolved![(EventTypes.Member, Bob)]);
        Assert.NotEqual(bobsLevels, room.Current(EventTypes.PowerLevels, ""));
        Assert.Equal(powerBefore, room.Current(EventTypes.PowerLevels, ""));
    }

    [Fact]
    public async Task the_same_fork_resolves_the_same_way_whichever_branch_arrives_first()
    {
        // hs1 holds Bob's topic and receives Alice's demotion; hs2 holds the demotion and receives the topic.
        var one = WithAliceAndBob();
        var (fork, view) = (one.Extremities.Keys.ToList(), one.View());
        var topic = one.Remote(Bob, EventTypes.Topic, "", """{"topic":"bob"}""", new(view), fork, ts: 9_000);
        var demotion = one.Remote(Alice, EventTypes.PowerLevels, "", Demoted, new(view), fork, ts: 8_000);
        var two = WithAliceAndBob();

        await one.ReceiveAsync(topic);
        await one.ReceiveAsync(demotion);
        await two.ReceiveAsync(demotion);
        await two.ReceiveAsync(topic);
        Assert.Equal(one.View(), two.View());
        Assert.Equal(demotion.Id, one.Current(EventTypes.PowerLevels, ""));
        Assert.NotEqual(topic.Id, one.Current(EventTypes.Topic, ""));
    }

    [Fact]
    public async Task branches_that_do_not_meet_within_the_walk_leave_the_event_its_entry()
    {
        var room = WithAliceAndBob();
        var (fork, view) = (room.Extremities.Keys.ToList(), room.View());
        for (var i = 0; i <= ConcurrentState.MaxWalk; i++) room.Local(Alice, EventTypes.Message, null, """{"body":"x"}""");
        var topic = room.Remote(Bob, EventTypes.Topic, "", """{"topic":"bob"}""", view, fork);

        Assert.Null(await room.ReceiveAsync(topic));
        Assert.Equal(topic.Id, room.Current(EventTypes.Topic, ""));
    }
}
