using System.Diagnostics.Metrics;

namespace WalkieTalkie.Server.Walkie.Stream;

/// <summary>
/// The live relay's instruments on the server's meter (<see cref="WalkieServer.ActivitySource"/>, exported by the service
/// defaults): active bursts, listeners, frames relayed and dropped by reason, and the relay's own latency per frame.
/// </summary>
public sealed class StreamMetrics
{
    readonly Histogram<double> _relayLatency;

    public StreamMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(WalkieServer.ActivitySource);
        _relayLatency = meter.CreateHistogram<double>("walkie.stream.relay.duration", "ms",
            "From a frame's arrival to its fan-out to every listener's queue (frames waiting for a floor check included)");
        Meter = meter;
    }

    public Meter Meter { get; }

    /// <summary>Observable instruments read the hub's and the tracker's counters when collected: nothing on the relay path.</summary>
    public void Observe(StreamHub hub, BurstTracker bursts)
    {
        Meter.CreateObservableUpDownCounter("walkie.stream.bursts.active", () => bursts.ActiveBursts, "{burst}",
            "Bursts of talkers on this process with frames relayed and no end yet");
        Meter.CreateObservableUpDownCounter("walkie.stream.listeners", () => hub.Listeners, "{subscription}",
            "Room subscriptions of the streams on this process");
        Meter.CreateObservableUpDownCounter("walkie.stream.connections", () => hub.Connections, "{connection}");
        Meter.CreateObservableCounter("walkie.stream.frames.relayed", () => hub.FramesRelayed, "{frame}",
            "Frames queued to listeners (one per listener)");
        Meter.CreateObservableCounter("walkie.stream.frames.dropped", () => Enum.GetValues<FrameDropReason>()
            .Select(r => new Measurement<long>(hub.FramesDroppedFor(r), new KeyValuePair<string, object?>("reason", r.ToWire()))), "{frame}",
            "Frames from talkers that were not relayed, by reason");
    }

    public void Relayed(TimeSpan took) => _relayLatency.Record(took.TotalMilliseconds);
}

public static class FrameDropReasonWire
{
    public static string ToWire(this FrameDropReason reason) => reason switch
    {
        FrameDropReason.Malformed => "malformed",
        FrameDropReason.NotHolder => "not_holder",
        FrameDropReason.LateForEndedGrant => "late_for_ended_grant",
        FrameDropReason.RateLimited => "rate_limited",
        FrameDropReason.HeldTooLong => "held_too_long",
        _ => reason.ToString(),
    };
}
