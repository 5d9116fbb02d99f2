using Marten;

namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

public static class SyncPositions
{
    /// <summary>The current sync position: the highest global event sequence, as /sync's next_batch would carry it.</summary>
    public static async Task<long> SyncPositionAsync(this WalkieHost host)
    {
        await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var last = await session.Events.QueryAllRawEvents().OrderByDescending(e => e.Sequence).FirstOrDefaultAsync();
        return last?.Sequence ?? 0;
    }
}
