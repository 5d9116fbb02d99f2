using System.Text.Json.Nodes;
using WalkieTalkie.Server.Infrastructure;
using WalkieTalkie.Server.Matrix.Rooms;
using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Consent;
using WalkieTalkie.Server.Walkie.Floor;
using static WalkieTalkie.Server.Tests.Walkie.Floor.FloorSpec;

namespace WalkieTalkie.Server.Tests.Walkie.Floor;

/// <summary>MSC4002 across homeservers: which server decides, how a new floor host continues, remote consent.</summary>
public sealed class when_the_floor_is_decided_by_one_server_of_several
{
    static readonly DeviceRef Remote = new("@rita:hs2.test", "RITAPHONE");

    static RoomState Room(params (string Type, string StateKey, string Sender, string Content)[] state)
    {
        var room = new RoomState { Id = FloorSpec.Room };
        var n = 0;
        foreach (var (type, key, sender, content) in state)
            room.Apply(new RoomEvent($"$e{n++}", FloorSpec.Room, sender, type, key, content, 0));
        return room;
    }

    static readonly (string, string, string, string)[] Shared =
    [
        (EventTypes.Create, "", "@alice:hs1.test", """{"room_version":"10"}"""),
        (EventTypes.Member, "@alice:hs1.test", "@alice:hs1.test", """{"membership":"join"}"""),
        (EventTypes.Member, Remote.UserId, Remote.UserId, """{"membership":"join"}"""),
    ];

    static WalkieConfig Config(string json)
    {
        Assert.True(WalkieConfig.TryParse(JsonNode.Parse(json)!.AsObject(), out var config, out var error), error);
        return config;
    }

    [Fact]
    public void the_creators_server_decides_unless_floor_host_names_another()
    {
        var room = Room(Shared);
        Assert.Equal("hs1.test", FloorHost.Of(room, Config("{}")));
        Assert.Equal("hs1.test", FloorHost.Of(room, null));
        Assert.Equal("hs2.test", FloorHost.Of(room, Config("""{"floor_host": "hs2.test"}""")));
    }

    [Fact]
    public void floor_host_must_be_a_server_name()
    {
        foreach (var bad in new[] { "\"\"", "17", "\"hs 2\"", "\"@bob:hs2\"", "\"hs2/x\"" })
            Assert.False(WalkieConfig.TryParse(JsonNode.Parse($$"""{"floor_host": {{bad}}}""")!.AsObject(), out _, out _), bad);
        Assert.Equal("hs2.test:8448", Config("""{"floor_host": "hs2.test:8448"}""").FloorHost);
    }

    [Fact]
    public void floor_host_is_refused_for_a_server_without_a_joined_member()
    {
        var validator = new WalkieConfigValidator();
        var room = Room(Shared);
        Assert.Null(validator.Validate(room, WalkieConfig.EventType, "", JsonNode.Parse("""{"floor_host": "hs2.test"}""")!.AsObject()));
        var refused = validator.Validate(room, WalkieConfig.EventType, "", JsonNode.Parse("""{"floor_host": "hs3.test"}""")!.AsObject());
        Assert.Equal("M_INVALID_PARAM", refused?.ErrCode);
    }

    [Fact]
    public void a_new_host_ends_the_previous_hosts_grant_and_queue_at_the_same_epoch()
    {
        var known = FloorDecider.Replay([.. AliceHolds(Bob, Carol), Released(Alice, 1, At(5)), Granted(Bob, 2, At(5), GrantKind.QueueHandOver)]);
        var takeover = FloorHost.TakeOver(FloorSpec.Room, known, At(9));

        var after = takeover.Aggregate(known, FloorDecider.Evolve);
        Assert.Equal(new FloorState.Idle(2), after);
        Assert.Contains(takeover, e => e is FloorRevoked { Holder: var h, Reason: RevokeReason.HostChanged } && h == Bob);
        Assert.Contains(takeover, e => e is FloorLeftQueue { Reason: LeaveReason.HostChanged } l && l.Device == Carol);
    }

    [Fact]
    public void the_first_grant_of_a_new_host_is_above_every_epoch_it_knows()
    {
        var known = FloorDecider.Replay([.. AliceHolds(), Released(Alice, 1, At(2)), Idle(1, "released", At(2)),
            Requested(Bob, At(3)), Granted(Bob, 2, At(3))]);
        var after = FloorHost.TakeOver(FloorSpec.Room, known, At(4)).Aggregate(known, FloorDecider.Evolve);

        var grant = FloorDecider.Decide(Request(Carol), after, At(5)).OfType<FloorGranted>().Single();
        Assert.Equal(3, grant.Epoch);
    }

    [Fact]
    public void an_idle_floor_needs_no_takeover() =>
        Assert.Empty(FloorHost.TakeOver(FloorSpec.Room, new FloorState.Idle(7), At(1)));

    [Fact]
    public void a_remote_devices_consent_is_the_member_state_its_server_mirrors()
    {
        var now = At(0);
        var live = Room([.. Shared, (ConsentService.MemberEventType, Remote.StateKey, Remote.UserId, """{"device_id":"RITAPHONE","expires_ts":null}""")]);
        var expired = Room([.. Shared, (ConsentService.MemberEventType, Remote.StateKey, Remote.UserId,
            $$"""{"device_id":"RITAPHONE","expires_ts":{{now.ToUnixTimeMilliseconds() - 1}}}""")]);
        var withdrawn = Room([.. Shared, (ConsentService.MemberEventType, Remote.StateKey, Remote.UserId, "{}")]);

        Assert.True(Scene(live, now).HasLiveConsent(Remote));
        Assert.False(Scene(expired, now).HasLiveConsent(Remote));
        Assert.False(Scene(withdrawn, now).HasLiveConsent(Remote));
        Assert.False(Scene(Room(Shared), now).HasLiveConsent(Remote));
        // A local device without a consent stream has none, whatever the room shows.
        var local = new DeviceRef("@alice:hs1.test", "A");
        Assert.False(Scene(Room([.. Shared, (ConsentService.MemberEventType, local.StateKey, local.UserId, """{"device_id":"A"}""")]), now)
            .HasLiveConsent(local));
    }

    static FloorScene Scene(RoomState room, DateTimeOffset now) => new(room, WalkieConfig.Default, now, new Dictionary<string, ConsentSnapshot>(), "hs1.test");

    [Fact]
    public void a_decision_survives_the_edu_between_servers()
    {
        var history = AliceHolds(Bob);
        var floor = FloorDecider.Replay(history);
        var (roomId, version, copied, events) = FloorWire.ParseEdu(FloorWire.Edu(FloorSpec.Room, floor, history, 4));

        Assert.Equal((FloorSpec.Room, 4L), (roomId, version));
        Assert.Equal(floor, copied);
        Assert.Equal(history, events);
    }

    [Fact]
    public void forwarded_commands_speak_only_for_the_origins_own_users()
    {
        var (op, body) = FloorWire.Command(new FloorCommand.Request(FloorSpec.Room, Remote, FloorPriority.Preempt))!.Value;
        var parsed = FloorWire.ParseCommand(op, FloorSpec.Room, "hs2.test", body);
        Assert.Equal(new FloorCommand.Request(FloorSpec.Room, Remote, FloorPriority.Preempt) { ForwardedBy = "hs2.test" }, parsed);

        var refused = Assert.Throws<MatrixException>(() => FloorWire.ParseCommand(op, FloorSpec.Room, "hs3.test", body));
        Assert.Equal("M_FORBIDDEN", refused.MatrixError.ErrCode);
        Assert.Null(FloorWire.Command(new FloorCommand.TimersDue(FloorSpec.Room, 1, Durable: true)));
    }

    [Fact]
    public void the_hosts_answers_read_back_as_the_same_outcomes()
    {
        FloorOutcome[] outcomes =
        [
            new FloorOutcome.Granted(17, At(30), Emergency: true), new FloorOutcome.Queued(2), new FloorOutcome.None(),
            new FloorOutcome.Moderated(Bob, [Carol]),
        ];
        foreach (var outcome in outcomes) Assert.Equal(outcome, FloorWire.ParseOutcome(FloorWire.Outcome(outcome)));
    }
}
