namespace WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

/// <summary>Waits for something that travels between servers (a queue, a retry) with a generous bound, not a timing claim.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? within = null)
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var value = await read();
            if (done(value) || DateTimeOffset.UtcNow > deadline) return value;
            await Task.Delay(100);
        }
    }
}
