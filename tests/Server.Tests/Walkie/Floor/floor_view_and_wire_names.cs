using System.Text.Json;

namespace WalkieTalkie.Server.Tests.Walkie.Floor;

using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Floor;
using static FloorSpec;

public sealed class floor_view_and_wire_names
{
    [Fact]
    public void an_idle_floor_reads_state_epoch_and_an_empty_queue() =>
        Assert.Equal("""{"state":"idle","epoch":3,"queue":[]}""", JsonSerializer.Serialize(FloorView.From(new FloorState.Idle(3))));

    [Fact]
    public void the_initial_floor_is_idle_at_epoch_zero() =>
        Assert.Equal("""{"state":"idle","epoch":0,"queue":[]}""", JsonSerializer.Serialize(FloorView.From(FloorState.Initial)));

    [Fact]
    public void a_taken_floor_reads_holder_epoch_timestamps_and_queue()
    {
        var view = FloorView.From(Taken(Alice, 17, T0, Bob));
        var grantedTs = T0.ToUnixTimeMilliseconds();
        Assert.Equal(
            $$"""{"state":"taken","holder":{"user_id":"@alice:example.org","device_id":"ALICEPHONE"},"epoch":17,"granted_ts":{{grantedTs}},"expires_ts":{{grantedTs + 30_000}},"queue":[{"user_id":"@bob:example.org","device_id":"BOBRADIO"}]}""",
            JsonSerializer.Serialize(view));
    }

    [Fact]
    public void web_defaults_do_not_rename_the_wire_fields() =>
        Assert.Contains("\"granted_ts\"", JsonSerializer.Serialize(FloorView.From(Taken(Alice, 1, T0)), JsonSerializerOptions.Web));

    [Fact]
    public void a_device_ref_has_the_member_state_key_and_round_trips_as_json()
    {
        Assert.Equal("_@alice:example.org_ALICEPHONE", Alice.StateKey);
        var json = JsonSerializer.Serialize(Alice);
        Assert.Equal("""{"user_id":"@alice:example.org","device_id":"ALICEPHONE"}""", json);
        Assert.Equal(Alice, JsonSerializer.Deserialize<DeviceRef>(json));
    }

    [Fact]
    public void the_floor_stream_is_named_after_the_room() => Assert.Equal("floor:!walkie:example.org", FloorStream.Id(Room));

    [Theory]
    [InlineData(RevokeReason.MaxTalkTime, "max_talk_time")]
    [InlineData(RevokeReason.EndOfMedia, "end_of_media")]
    [InlineData(RevokeReason.Preempted, "preempted")]
    [InlineData(RevokeReason.ConsentExpired, "consent_expired")]
    [InlineData(RevokeReason.ConsentRevoked, "consent_revoked")]
    [InlineData(RevokeReason.LeftRoom, "left_room")]
    [InlineData(RevokeReason.Disconnected, "disconnected")]
    public void revoke_reasons_have_wire_names(RevokeReason reason, string wire) => Assert.Equal(wire, reason.ToWire());

    [Fact]
    public void the_only_denial_is_taken() => Assert.Equal("taken", DenyReason.Taken.ToWire());

    [Fact]
    public void an_event_stream_round_trips_through_json_as_stored_events_would()
    {
        FloorEvent[] history = [.. AliceHolds(Bob), Revoked(Alice, 1, RevokeReason.Preempted, At(3), by: Carol), Granted(Carol, 2, At(3), GrantKind.Preemption)];
        var copy = history.Select(e => (FloorEvent)JsonSerializer.Deserialize(JsonSerializer.Serialize(e, e.GetType()), e.GetType())!);
        Assert.Equal(history, copy);
        Assert.Equal(FloorDecider.Replay(history), FloorDecider.Replay(copy));
    }
}
