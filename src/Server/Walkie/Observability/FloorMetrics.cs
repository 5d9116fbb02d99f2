using System.Diagnostics;
using System.Diagnostics.Metrics;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Observability;

/// <summary>
/// Floor decisions as the dashboard shows them: counters of grants, denials (by reason) and revocations (by reason) on
/// the server's meter, and one <c>walkie.floor.decide</c> span per decided batch (room, epoch after, commands, events),
/// both exported by the service defaults under <see cref="WalkieServer.ActivitySource"/>.
/// </summary>
public sealed class FloorMetrics
{
    public const string DecideSpan = "walkie.floor.decide";
    static readonly ActivitySource Source = new(WalkieServer.ActivitySource);

    readonly Counter<long> _grants, _denials, _revocations;

    public FloorMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(WalkieServer.ActivitySource);
        _grants = meter.CreateCounter<long>("walkie.floor.grants", "{grant}", "Floor grants (requests and hand-overs from the queue)");
        _denials = meter.CreateCounter<long>("walkie.floor.denials", "{denial}", "Floor requests answered denied, by reason");
        _revocations = meter.CreateCounter<long>("walkie.floor.revocations", "{revocation}", "Grants ended by the server or a moderator, by reason");
        Meter = meter;
    }

    public Meter Meter { get; }

    /// <summary>The span of one batch's decision (null when nobody listens).</summary>
    public static Activity? StartDecide(string roomId, int commands)
    {
        var span = Source.StartActivity(DecideSpan);
        span?.SetTag("walkie.room", roomId);
        span?.SetTag("walkie.floor.commands", commands);
        return span;
    }

    /// <summary>A committed batch: counts what it did and closes its span with the epoch it left the floor at.</summary>
    public void Decided(Activity? span, FloorState after, IReadOnlyList<FloorEvent> events, IEnumerable<FloorOutcome?> outcomes)
    {
        foreach (var e in events)
        {
            if (e is FloorGranted) _grants.Add(1);
            else if (e is FloorRevoked revoked) _revocations.Add(1, new KeyValuePair<string, object?>("reason", revoked.Reason.ToString()));
        }
        foreach (var outcome in outcomes)
            if (outcome is FloorOutcome.Denied denied) _denials.Add(1, new KeyValuePair<string, object?>("reason", denied.Reason.ToString()));
        span?.SetTag("walkie.floor.epoch", after.Epoch);
        span?.SetTag("walkie.floor.events", events.Count);
        span?.Dispose();
    }
}
