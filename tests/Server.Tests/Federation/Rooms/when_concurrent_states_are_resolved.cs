using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.Matrix.Rooms;
using static WalkieTalkie.Server.Tests.Federation.Rooms.StateGraph;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>State resolution v2 on the graphs of Synapse's tests/state/test_v2.py: the state at END, where the branches meet.</summary>
public class when_concurrent_states_are_resolved
{
    const string AliceAndBob50 = """{"users":{"@alice:example.com":100,"@bob:example.com":50}}""";
    const string Topic = "{}";

    [Fact]
    public void a_ban_beats_the_banned_users_concurrent_power_levels()
    {
        var graph = new StateGraph(
        [
            new("PA", Alice, EventTypes.PowerLevels, "", AliceAndBob50),
            new("MA", Alice, EventTypes.Member, Alice, """{"membership":"join"}"""),
            new("MB", Alice, EventTypes.Member, Bob, """{"membership":"ban"}"""),
            new("PB", Bob, EventTypes.PowerLevels, "", AliceAndBob50),
        ], [["END", "MB", "MA", "PA", "START"], ["END", "PB", "PA"]]);

        Assert.Equal(["MA", "MB", "PA"], graph.ChangedAtEnd("PA", "MA", "MB"));
    }

    [Fact]
    public void the_more_powerful_sender_goes_first_even_when_it_sent_later()
    {
        // Bob's power levels are older (built first: node ids break ties), Alice's ban still comes first and keeps them out.
        var graph = new StateGraph(
        [
            new("PA", Alice, EventTypes.PowerLevels, "", AliceAndBob50),
            new("PB", Bob, EventTypes.PowerLevels, "", AliceAndBob50),
            new("ZB", Alice, EventTypes.Member, Bob, """{"membership":"ban"}"""),
        ], [["END", "ZB", "PA", "START"], ["END", "PB", "PA"]]);

        Assert.True(graph.Pdus[EventId("PB")]["origin_server_ts"]!.GetValue<long>() < graph.Pdus[EventId("ZB")]["origin_server_ts"]!.GetValue<long>());
        Assert.Equal(["PA", "ZB"], graph.ChangedAtEnd("PA", "ZB"));
    }

    [Fact]
    public void a_join_concurrent_with_closing_the_room_does_not_get_in()
    {
        var graph = new StateGraph(
        [
            new("JR", Alice, EventTypes.JoinRules, "", """{"join_rule":"invite"}"""),
            new("ME", Evelyn, EventTypes.Member, Evelyn, """{"membership":"join"}"""),
        ], [["END", "JR", "START"], ["END", "ME", "START"]]);

        Assert.Equal(["JR"], graph.ChangedAtEnd("JR"));
        Assert.False(graph.StateAfter("END").ContainsKey((EventTypes.Member, Evelyn)));
    }

    [Fact]
    public void power_levels_set_by_a_user_who_lost_the_power_still_apply_when_authorised_in_order()
    {
        var graph = new StateGraph(
        [
            new("PA", Alice, EventTypes.PowerLevels, "", AliceAndBob50),
            new("PB", Bob, EventTypes.PowerLevels, "", """{"users":{"@alice:example.com":100,"@bob:example.com":50,"@charlie:example.com":50}}"""),
            new("PC", Charlie, EventTypes.PowerLevels, "", """{"users":{"@alice:example.com":100,"@bob:example.com":50,"@charlie:example.com":0}}"""),
        ], [["END", "PC", "PB", "PA", "START"], ["END", "PA"]]);

        Assert.Equal(["PC"], graph.ChangedAtEnd("PC"));
    }

    [Fact]
    public void a_topic_of_a_user_concurrently_demoted_is_dropped()
    {
        var graph = new StateGraph(
        [
            new("T1", Alice, EventTypes.Topic, "", Topic),
            new("PA1", Alice, EventTypes.PowerLevels, "", AliceAndBob50),
            new("T2", Alice, EventTypes.Topic, "", Topic),
            new("PA2", Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:example.com":100,"@bob:example.com":0}}"""),
            new("PB", Bob, EventTypes.PowerLevels, "", AliceAndBob50),
            new("T3", Bob, EventTypes.Topic, "", Topic),
        ], [["END", "PA2", "T2", "PA1", "T1", "START"], ["END", "T3", "PB", "PA1"]]);

        // T3 is the newest topic (and would win by depth or timestamp); Bob's power was gone.
        Assert.Equal(["PA2", "T2"], graph.ChangedAtEnd("PA2", "T2"));
    }

    [Fact]
    public void a_ban_resets_the_topic_the_banned_user_set()
    {
        var graph = new StateGraph(
        [
            new("T1", Alice, EventTypes.Topic, "", Topic),
            new("PA", Alice, EventTypes.PowerLevels, "", AliceAndBob50),
            new("T2", Bob, EventTypes.Topic, "", Topic),
            new("MB", Alice, EventTypes.Member, Bob, """{"membership":"ban"}"""),
        ], [["END", "MB", "T2", "PA", "T1", "START"], ["END", "T1"]]);

        Assert.Equal(["MB", "PA", "T1"], graph.ChangedAtEnd("T1", "MB", "PA"));
    }

    [Fact]
    public void a_later_topic_on_the_winning_power_levels_wins()
    {
        var graph = new StateGraph(
        [
            new("T1", Alice, EventTypes.Topic, "", Topic),
            new("PA1", Alice, EventTypes.PowerLevels, "", AliceAndBob50),
            new("T2", Alice, EventTypes.Topic, "", Topic),
            new("PA2", Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:example.com":100,"@bob:example.com":0}}"""),
            new("PB", Bob, EventTypes.PowerLevels, "", AliceAndBob50),
            new("T3", Bob, EventTypes.Topic, "", Topic),
            new("MZ1", Zara, EventTypes.Message, null, "{}"),
            new("T4", Alice, EventTypes.Topic, "", Topic),
        ], [["END", "T4", "MZ1", "PA2", "T2", "PA1", "T1", "START"], ["END", "MZ1", "T3", "PB", "PA1"]]);

        Assert.Equal(["PA2", "T4"], graph.ChangedAtEnd("T4", "PA2"));
    }

    [Fact]
    public void the_mainline_puts_a_topic_on_older_power_levels_first()
    {
        var graph = new StateGraph(
        [
            new("T1", Alice, EventTypes.Topic, "", Topic),
            new("PA1", Alice, EventTypes.PowerLevels, "", AliceAndBob50),
            new("T2", Alice, EventTypes.Topic, "", Topic),
            new("PA2", Alice, EventTypes.PowerLevels, "",
                """{"users":{"@alice:example.com":100,"@bob:example.com":50},"events":{"m.room.power_levels":100}}"""),
            new("PB", Bob, EventTypes.PowerLevels, "", AliceAndBob50),
            new("T3", Bob, EventTypes.Topic, "", Topic),
            new("T4", Alice, EventTypes.Topic, "", Topic),
        ], [["END", "T3", "PA2", "T2", "PA1", "T1", "START"], ["END", "T4", "PB", "PA1"]]);

        // T4 is sent after T3 but cites PB, older in the resolved power levels' mainline than PA2, which T3 cites.
        Assert.Equal(["PA2", "T3"], graph.ChangedAtEnd("T3", "PA2"));
    }

    [Fact]
    public void concurrent_joins_are_both_kept()
    {
        var graph = new StateGraph(
        [
            new("JE", Evelyn, EventTypes.Member, Evelyn, """{"membership":"join"}"""),
            new("JC", Charlie, EventTypes.Member, Charlie, """{"membership":"leave"}"""),
        ], [["END", "JE", "START"], ["END", "JC", "START"]]);

        Assert.Equal(["JC", "JE"], graph.ChangedAtEnd("JE", "JC"));
    }

    [Fact]
    public void a_key_missing_from_one_state_is_conflicted_and_must_pass_the_auth_rules()
    {
        var graph = new StateGraph([], []);
        var withoutBob = new Dictionary<(string, string), string>(graph.StateAfter("START"));
        withoutBob.Remove((EventTypes.Member, Bob));
        var bobsJoin = graph.StateAfter("START")[(EventTypes.Member, Bob)];
        var pdus = graph.Pdus;

        var resolved = StateResolution.Resolve(RoomId, [graph.StateAfter("START"), withoutBob], id => pdus.GetValueOrDefault(id));
        Assert.Equal(bobsJoin, resolved[(EventTypes.Member, Bob)]);

        // The same join in a room whose join rules (in both states) are invite-only no longer passes.
        var closed = new StateGraph([new("JR", Alice, EventTypes.JoinRules, "", """{"join_rule":"invite"}""")], [["END", "JR", "START"]]);
        var closedState = closed.StateAfter("END");
        var closedWithoutBob = new Dictionary<(string, string), string>(closedState);
        closedWithoutBob.Remove((EventTypes.Member, Bob));
        var closedPdus = closed.Pdus;
        Assert.False(StateResolution.Resolve(RoomId, [closedState, closedWithoutBob], id => closedPdus.GetValueOrDefault(id))
            .ContainsKey((EventTypes.Member, Bob)));
    }

    [Fact]
    public void states_that_agree_resolve_to_themselves_without_looking_up_events()
    {
        var state = new Dictionary<(string, string), string> { [(EventTypes.Create, "")] = "$c", [(EventTypes.Topic, "")] = "$t" };
        Assert.Equal(state, StateResolution.Resolve(RoomId, [state, new Dictionary<(string, string), string>(state)],
            _ => throw new InvalidOperationException("no lookup expected")));
    }

    [Fact]
    public void the_topological_order_puts_auth_events_first_and_breaks_ties_by_the_order()
    {
        var graph = new Dictionary<string, IReadOnlyCollection<string>>
        {
            ["l"] = ["o"], ["m"] = ["n", "o"], ["n"] = ["o"], ["o"] = [], ["p"] = ["o"],
        };
        Assert.Equal(["o", "l", "n", "m", "p"], StateResolution.TopologicalOrder(graph, StringComparer.Ordinal));
    }
}
