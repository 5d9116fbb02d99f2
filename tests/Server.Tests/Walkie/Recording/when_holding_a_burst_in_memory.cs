using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Recording;
using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Tests.Walkie.Recording;

public sealed class when_holding_a_burst_in_memory
{
    static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_000);
    static readonly DeviceRef Alice = new("@alice:example.org", "PHONE");

    static BurstBuffer Buffer(int maxFrames = 1000, long maxBytes = 1 << 20) => new("!radio:example.org", 7, Alice, T0, maxFrames, maxBytes);
    static BurstSummary Summary(int frames) => new("!radio:example.org", 7, Alice, T0, T0.AddMilliseconds(frames * 20), frames, 0, "released");

    [Fact]
    public void payloads_are_copied_since_the_relay_reuses_its_buffer()
    {
        var buffer = Buffer();
        var relayBuffer = new byte[] { 1, 2, 3 };
        buffer.Add(0, relayBuffer, T0);
        relayBuffer[0] = 99;
        buffer.Add(1, relayBuffer, T0);

        var captured = buffer.End(Summary(2), T0)!;
        Assert.Equal([(0u, new byte[] { 1, 2, 3 }), (1u, new byte[] { 99, 2, 3 })], captured.Frames.Select(f => (f.Seq, f.Payload.ToArray())));
        Assert.False(captured.Truncated);
    }

    [Fact]
    public void frames_past_the_frame_or_byte_cap_are_not_kept_and_the_recording_says_so()
    {
        var byFrames = Buffer(maxFrames: 3);
        for (uint seq = 0; seq < 5; seq++) byFrames.Add(seq, new byte[10], T0);
        var captured = byFrames.End(Summary(5), T0)!;
        Assert.Equal(3, captured.Frames.Count);
        Assert.True(captured.Truncated);

        var byBytes = Buffer(maxBytes: 25);
        for (uint seq = 0; seq < 5; seq++) byBytes.Add(seq, new byte[10], T0);
        Assert.Equal(2, byBytes.End(Summary(5), T0)!.Frames.Count);
    }

    [Fact]
    public void the_rooms_max_talk_time_caps_frames_kept_before_the_decision_arrived()
    {
        var buffer = Buffer();
        for (uint seq = 0; seq < 10; seq++) buffer.Add(seq, new byte[10], T0);
        buffer.Decide(record: true, frameCap: 6);
        buffer.Add(10, new byte[10], T0);
        var captured = buffer.End(Summary(11), T0)!;
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (uint)i), captured.Frames.Select(f => f.Seq));
        Assert.True(captured.Truncated);
    }

    [Fact]
    public void a_room_that_does_not_record_drops_what_was_held_and_keeps_nothing_more()
    {
        var buffer = Buffer();
        buffer.Add(0, new byte[10], T0);
        buffer.Decide(record: false, frameCap: 1000);
        buffer.Add(1, new byte[10], T0);
        Assert.Null(buffer.End(Summary(2), T0));
    }

    [Fact]
    public void frames_after_the_end_are_ignored()
    {
        var buffer = Buffer();
        buffer.Add(0, new byte[10], T0);
        var captured = buffer.End(Summary(1), T0)!;
        buffer.Add(1, new byte[10], T0);
        Assert.Single(captured.Frames);
        Assert.True(buffer.Ended);
        Assert.Null(buffer.End(Summary(2), T0));
    }
}
