using System.Text.Json.Nodes;
using WalkieTalkie.Server.Matrix.Rooms;

namespace WalkieTalkie.Server.Tests.Federation.Rooms;

/// <summary>A room's state built from events, for auth tests without a database.</summary>
public sealed class RoomHistory
{
    public const string Alice = "@alice:hs1.test", Bob = "@bob:hs2.test", Carol = "@carol:hs2.test";
    public RoomState State { get; } = new() { Id = "!room:hs1.test" };
    int _n;

    public static RoomHistory PublicRoom()
    {
        var h = new RoomHistory();
        h.Add(Alice, EventTypes.Create, "", """{"creator":"@alice:hs1.test","room_version":"10"}""");
        h.Add(Alice, EventTypes.Member, Alice, """{"membership":"join"}""");
        h.Add(Alice, EventTypes.PowerLevels, "", """{"users":{"@alice:hs1.test":100},"users_default":0,"events":{"org.matrix.msc4002.member":0},"state_default":50}""");
        h.Add(Alice, EventTypes.JoinRules, "", """{"join_rule":"public"}""");
        return h;
    }

    public RoomEvent Event(string sender, string type, string? stateKey, string content) =>
        new($"$e{++_n}", State.Id, sender, type, stateKey, content, 1000 + _n);

    public RoomHistory Add(string sender, string type, string? stateKey, string content)
    {
        var e = Event(sender, type, stateKey, content);
        Assert.Null(RoomAuth.Check(State, e));
        State.Apply(e);
        return this;
    }

    public string? Check(string sender, string type, string? stateKey, string content) =>
        RoomAuth.Check(State, Event(sender, type, stateKey, content));
}
