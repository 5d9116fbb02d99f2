namespace WalkieTalkie.Server.Infrastructure;

/// <summary>The loop of a polling background service: do the work, log a failure and go on, wait, until stopped.</summary>
public static class PeriodicWork
{
    /// <param name="failureTemplate">The warning logged when the work fails, with one `{Message}` hole for the exception's message.</param>
    public static async Task RunAsync(Func<CancellationToken, Task> work, TimeSpan interval, TimeProvider clock, ILogger logger,
        string failureTemplate, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await work(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
#pragma warning disable CA2254 // each caller passes one constant template
                logger.LogWarning(failureTemplate, e.Message);
#pragma warning restore CA2254
            }
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
