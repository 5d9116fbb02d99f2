using WalkieTalkie.Client.Cli;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C stops talking or listening cleanly (release, write files); a second one kills.
    if (stop.IsCancellationRequested) return;
    e.Cancel = true;
    stop.Cancel();
};
return await WalkieCli.RunAsync(args, CliEnvironment.Console(), stop.Token);
