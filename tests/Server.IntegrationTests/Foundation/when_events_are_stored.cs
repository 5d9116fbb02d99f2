using Marten;
using Wolverine;
using Wolverine.Marten;

namespace WalkieTalkie.Server.IntegrationTests.Foundation;

public sealed record ProbeRecorded(string Name, DateTimeOffset At);
public sealed record RecordProbe(string StreamId, string Name);

/// <summary>A handler of the test assembly, added to the server's Wolverine through a DI extension.</summary>
public static class RecordProbeHandler
{
    public static void Handle(RecordProbe command, IDocumentSession session, TimeProvider clock) =>
        session.Events.Append(command.StreamId, new ProbeRecorded(command.Name, clock.GetUtcNow()));
}

sealed class ProbeHandlers : IWolverineExtension
{
    public void Configure(WolverineOptions options) => options.Discovery.IncludeType(typeof(RecordProbeHandler));
}

[Collection(IntegrationCollection.Name)]
public sealed class when_events_are_stored(IntegrationFixture fixture) : IAsyncLifetime
{
    WalkieHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync(),
            configure: b => b.Services.AddSingleton<IWolverineExtension, ProbeHandlers>());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task marten_appends_and_reads_back_a_stream()
    {
        var store = _host.Services.GetRequiredService<IDocumentStore>();
        var stream = $"probe-{Guid.NewGuid():N}";
        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream(stream, new ProbeRecorded("one", DateTimeOffset.UtcNow), new ProbeRecorded("two", DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }

        await using var query = store.QuerySession();
        var events = await query.Events.FetchStreamAsync(stream);
        Assert.Equal(["one", "two"], events.Select(e => ((ProbeRecorded)e.Data).Name));
        Assert.Equal([1L, 2L], events.Select(e => e.Version));
    }

    [Fact]
    public async Task a_wolverine_handler_commits_its_events_to_postgres()
    {
        var stream = $"probe-{Guid.NewGuid():N}";
        using (var scope = _host.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new RecordProbe(stream, "handled"));

        await using var query = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await query.Events.FetchStreamAsync(stream);
        Assert.Equal("handled", Assert.IsType<ProbeRecorded>(Assert.Single(events).Data).Name);
    }
}
