using System.Text.Json.Nodes;
using WalkieTalkie.Server.Matrix.Rooms;
using static WalkieTalkie.Server.Tests.Federation.Rooms.RoomHistory;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>Room version 10 authorization rules, against the state before the event.</summary>
public class when_events_are_authorized
{
    [Fact]
    public void the_create_event_must_come_from_the_rooms_server_and_name_a_creator()
    {
        var h = new RoomHistory();
        Assert.NotNull(h.Check(Bob, EventTypes.Create, "", """{"creator":"@bob:hs2.test"}"""));
        Assert.NotNull(h.Check(Alice, EventTypes.Create, "", """{"room_version":"10"}"""));
        Assert.NotNull(h.Check(Alice, EventTypes.Create, "", """{"creator":"@alice:hs1.test","room_version":"9"}"""));
        Assert.Null(h.Check(Alice, EventTypes.Create, "", """{"creator":"@alice:hs1.test","room_version":"10"}"""));
    }

    [Fact]
    public void m_federate_false_keeps_other_servers_out()
    {
        var h = new RoomHistory();
        h.Add(Alice, EventTypes.Create, "", """{"creator":"@alice:hs1.test","m.federate":false}""");
        h.Add(Alice, EventTypes.Member, Alice, """{"membership":"join"}""");
        h.Add(Alice, EventTypes.JoinRules, "", """{"join_rule":"public"}""");
        Assert.Equal("This room does not federate", h.Check(Bob, EventTypes.Member, Bob, """{"membership":"join"}"""));
    }

    [Fact]
    public void anyone_joins_a_public_room_but_only_as_themselves()
    {
        var h = PublicRoom();
        Assert.Null(h.Check(Bob, EventTypes.Member, Bob, """{"membership":"join"}"""));
        Assert.NotNull(h.Check(Alice, EventTypes.Member, Bob, """{"membership":"join"}"""));
    }

    [Fact]
    public void an_invite_only_room_needs_an_invite_and_a_ban_keeps_out()
    {
        var h = PublicRoom().Add(Alice, EventTypes.JoinRules, "", """{"join_rule":"invite"}""");
        Assert.NotNull(h.Check(Bob, EventTypes.Member, Bob, """{"membership":"join"}"""));
        h.Add(Alice, EventTypes.Member, Bob, """{"membership":"invite"}""");
        Assert.Null(h.Check(Bob, EventTypes.Member, Bob, """{"membership":"join"}"""));
        h.Add(Alice, EventTypes.Member, Bob, """{"membership":"ban"}""");
        Assert.NotNull(h.Check(Bob, EventTypes.Member, Bob, """{"membership":"join"}"""));
    }

    [Fact]
    public void knocking_needs_a_knock_join_rule()
    {
        var h = PublicRoom();
        Assert.NotNull(h.Check(Bob, EventTypes.Member, Bob, """{"membership":"knock"}"""));
        h.Add(Alice, EventTypes.JoinRules, "", """{"join_rule":"knock"}""");
        Assert.Null(h.Check(Bob, EventTypes.Member, Bob, """{"membership":"knock"}"""));
    }

    [Fact]
    public void non_members_send_nothing_and_members_need_the_events_power_level()
    {
        var h = PublicRoom();
        Assert.NotNull(h.Check(Bob, EventTypes.Message, null, """{"body":"x"}"""));
        h.Add(Bob, EventTypes.Member, Bob, """{"membership":"join"}""");
        Assert.Null(h.Check(Bob, EventTypes.Message, null, """{"body":"x"}"""));
        Assert.NotNull(h.Check(Bob, EventTypes.Name, "", """{"name":"x"}"""));
    }

    [Fact]
    public void state_keyed_by_a_user_belongs_to_that_user_and_a_suffix_is_not_an_exemption()
    {
        var h = PublicRoom().Add(Bob, EventTypes.Member, Bob, """{"membership":"join"}""");
        Assert.Null(h.Check(Bob, "org.matrix.msc4002.member", Bob, "{}"));
        Assert.NotNull(h.Check(Bob, "org.matrix.msc4002.member", Alice, "{}"));
        // Room versions 10/11 reject `@user:server_DEVICE`; the mirror uses `_@user:server_DEVICE`, which auth lets through.
        Assert.NotNull(h.Check(Bob, "org.matrix.msc4002.member", Bob + "_DEV", "{}"));
        Assert.Null(h.Check(Bob, "org.matrix.msc4002.member", "_" + Bob + "_DEV", "{}"));
    }

    [Fact]
    public void this_server_lets_only_the_owner_write_an_underscore_user_key()
    {
        var h = PublicRoom();
        Assert.Null(RoomAuth.CheckLocalPolicy(h.Event(Bob, "org.matrix.msc4002.member", "_" + Bob + "_DEV", "{}")));
        Assert.NotNull(RoomAuth.CheckLocalPolicy(h.Event(Carol, "org.matrix.msc4002.member", "_" + Bob + "_DEV", "{}")));
        Assert.NotNull(RoomAuth.CheckLocalPolicy(h.Event(Carol, "org.matrix.msc4002.member", "_" + Bob, "{}")));
    }

    [Fact]
    public void version_10_power_levels_are_integers()
    {
        var h = PublicRoom();
        Assert.NotNull(h.Check(Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100},"ban":"50"}"""));
        Assert.NotNull(h.Check(Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":"100"}}"""));
        Assert.NotNull(h.Check(Alice, EventTypes.PowerLevels, "", """{"users":{"not-a-user":1,"@alice:hs1.test":100}}"""));
        Assert.Null(h.Check(Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100},"ban":60}"""));
    }

    [Fact]
    public void nobody_raises_above_their_own_level_or_touches_a_peer()
    {
        var h = PublicRoom().Add(Bob, EventTypes.Member, Bob, """{"membership":"join"}""")
            .Add(Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100,"@bob:hs2.test":50},"state_default":50}""");
        Assert.NotNull(h.Check(Bob, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100,"@bob:hs2.test":60},"state_default":50}"""));
        Assert.NotNull(h.Check(Bob, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":0,"@bob:hs2.test":50},"state_default":50}"""));
        Assert.Null(h.Check(Bob, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100,"@bob:hs2.test":50,"@carol:hs2.test":50},"state_default":50}"""));
    }

    [Fact]
    public void kicks_and_bans_need_a_higher_level_than_the_target()
    {
        var h = PublicRoom().Add(Bob, EventTypes.Member, Bob, """{"membership":"join"}""");
        Assert.NotNull(h.Check(Bob, EventTypes.Member, Alice, """{"membership":"leave"}"""));
        Assert.NotNull(h.Check(Bob, EventTypes.Member, Alice, """{"membership":"ban"}"""));
        Assert.Null(h.Check(Alice, EventTypes.Member, Bob, """{"membership":"ban"}"""));
    }
}
