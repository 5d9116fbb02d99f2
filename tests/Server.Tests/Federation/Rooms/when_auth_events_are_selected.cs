using System.Text.Json.Nodes;
using WalkieTalkie.Server.Federation.Rooms;
using WalkieTalkie.Server.Matrix.Rooms;
using static WalkieTalkie.Server.Tests.Federation.Rooms.RoomHistory;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>Server-server spec "Auth events selection".</summary>
public class when_auth_events_are_selected
{
    static string Id(RoomState s, string type, string key) => s.Get(type, key)!.EventId;

    [Fact]
    public void the_create_event_cites_nothing()
    {
        Assert.Empty(AuthEventSelection.Keys(EventTypes.Create, "", Alice, []));
    }

    [Fact]
    public void a_message_cites_create_power_levels_and_the_senders_membership()
    {
        var s = PublicRoom().State;
        Assert.Equal([Id(s, EventTypes.Create, ""), Id(s, EventTypes.PowerLevels, ""), Id(s, EventTypes.Member, Alice)],
            AuthEventSelection.Select(s, EventTypes.Message, null, Alice, new JsonObject { ["body"] = "x" }));
    }

    [Fact]
    public void a_join_also_cites_the_join_rules_and_the_targets_membership_when_there_is_one()
    {
        var s = PublicRoom().State;
        var join = new JsonObject { ["membership"] = "join" };
        Assert.Equal([Id(s, EventTypes.Create, ""), Id(s, EventTypes.PowerLevels, ""), Id(s, EventTypes.JoinRules, "")],
            AuthEventSelection.Select(s, EventTypes.Member, Bob, Bob, join));
        Assert.Contains((EventTypes.Member, Bob), AuthEventSelection.Keys(EventTypes.Member, Bob, Bob, join));
    }

    [Fact]
    public void an_invite_cites_the_inviter_and_the_invitee_and_a_leave_no_join_rules()
    {
        var keys = AuthEventSelection.Keys(EventTypes.Member, Bob, Alice, new JsonObject { ["membership"] = "invite" });
        Assert.Contains((EventTypes.Member, Alice), keys);
        Assert.Contains((EventTypes.Member, Bob), keys);
        Assert.Contains((EventTypes.JoinRules, ""), keys);
        Assert.DoesNotContain((EventTypes.JoinRules, ""), AuthEventSelection.Keys(EventTypes.Member, Bob, Bob, new JsonObject { ["membership"] = "leave" }));
    }

    [Fact]
    public void a_restricted_join_cites_the_authorising_users_membership()
    {
        var keys = AuthEventSelection.Keys(EventTypes.Member, Bob, Bob,
            new JsonObject { ["membership"] = "join", ["join_authorised_via_users_server"] = Alice });
        Assert.Contains((EventTypes.Member, Alice), keys);
    }
}
