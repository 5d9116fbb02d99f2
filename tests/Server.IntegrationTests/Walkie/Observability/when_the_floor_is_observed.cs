using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using WalkieTalkie.Server.Walkie.Observability;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Observability;

/// <summary>
/// The floor's counters and spans (issue 13), read as an exporter would: a <see cref="MeterListener"/> on the server's
/// meter and an <see cref="ActivityListener"/> on its activity source. A host of its own, so no other test's floor counts.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_the_floor_is_observed(IntegrationFixture fixture)
{
    [Fact]
    public async Task a_grant_a_denial_and_a_revocation_each_count_once_and_each_decision_is_a_span_with_room_and_epoch()
    {
        await using var host = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync());
        var meter = host.Services.GetRequiredService<FloorMetrics>().Meter;
        var counted = new ConcurrentDictionary<string, long>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, l) => { if (instrument.Meter == meter) l.EnableMeasurementEvents(instrument); };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var reason = tags.ToArray().Where(t => t.Key == "reason").Select(t => (string?)t.Value).FirstOrDefault();
            counted.AddOrUpdate(reason is null ? instrument.Name : $"{instrument.Name}{{{reason}}}", value, (_, n) => n + value);
        });
        meters.Start();
        var spans = new ConcurrentQueue<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == WalkieServer.ActivitySource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.OperationName == FloorMetrics.DecideSpan) spans.Enqueue(a); },
        };
        ActivitySource.AddActivityListener(activities);

        var alice = await MatrixTestClient.RegisterAsync(host);
        var bob = await MatrixTestClient.RegisterAsync(host);
        var room = await WalkieRoom.CreateAsync(alice, new { enabled = true, queue = false }, [bob]);
        await room.ConsentAsync(alice);
        await room.ConsentAsync(bob);

        var epoch = (await room.RequestOkAsync(alice))["epoch"]!.GetValue<long>();
        await (await room.RequestAsync(bob)).ShouldBeMatrixError(System.Net.HttpStatusCode.Conflict, "ORG.MATRIX.MSC4002_FLOOR_TAKEN");
        Assert.Equal(1, counted.GetValueOrDefault("walkie.floor.grants"));
        Assert.Equal(1, counted.GetValueOrDefault("walkie.floor.denials{Taken}"));

        await (await room.DeleteConsentAsync(alice)).EnsureMatrixSuccess(); // the holder's consent ends: the grant is revoked
        await WalkieRoom.EventuallyAsync(() => Task.FromResult(counted.GetValueOrDefault("walkie.floor.revocations{ConsentRevoked}")),
            n => n == 1, TimeSpan.FromSeconds(10), "the revocation is counted");
        Assert.Equal(1, counted.GetValueOrDefault("walkie.floor.grants"));

        Assert.Contains(spans, s => s.GetTagItem("walkie.floor.epoch") is long e && e == epoch && s.GetTagItem("walkie.floor.events") is int n && n > 0);
        Assert.True(spans.Count >= 3, $"a span per decided batch (request, request, revocation): {spans.Count}");
        Assert.All(spans, s => Assert.Equal(room.Id, s.GetTagItem("walkie.room")));
    }
}
