namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>The PostgreSQL server and one shared WalkieTalkie server for every integration test class.</summary>
public sealed class IntegrationFixture : IAsyncLifetime
{
    int _databases;

    public TestDatabaseServer Database { get; private set; } = null!;
    public WalkieHost Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabaseServer.StartAsync();
        Server = await WalkieHost.StartAsync(await Database.CreateDatabaseAsync("walkie_shared"));
    }

    /// <summary>A new database for a test that needs its own servers (restarts, several processes).</summary>
    public Task<string> CreateDatabaseAsync() =>
        Database.CreateDatabaseAsync($"walkie_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40]);

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class IntegrationCollection : ICollectionFixture<IntegrationFixture>
{
    public const string Name = "integration";
}
