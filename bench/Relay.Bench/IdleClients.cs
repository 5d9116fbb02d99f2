using ControlTypes = WalkieTalkie.Protocol.ControlTypes;
using System.Diagnostics;

namespace WalkieTalkie.Bench.Relay;

/// <summary>
/// Subscribed connections held by a child process, so that what the bench process spends is the server's alone: its
/// memory per idle connection, and its CPU per delivery. Child: <c>Relay.Bench idle &lt;file of stream URIs&gt;
/// &lt;subscribe message&gt;</c>; prints `ready`, then answers `count` with the frames its sockets received, exits on `exit`.
/// </summary>
sealed class IdleClients : IAsyncDisposable
{
    readonly Process _child;

    IdleClients(Process child) => _child = child;

    public static async Task RunChildAsync(string[] args)
    {
        var uris = File.ReadAllLines(args[0]);
        var sockets = new Listener[uris.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, uris.Length), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            sockets[i] = await Listener.ConnectAsync(new Uri(uris[i]));
            await sockets[i].RequestAsync(args[1], ControlTypes.Subscribed, TimeSpan.FromSeconds(120));
        });
        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync() is "count") Console.WriteLine(sockets.Sum(s => s.Frames));
        foreach (var socket in sockets) await socket.DisposeAsync();
    }

    /// <summary>A child process with <paramref name="count"/> subscribed connections (listener URIs 0..count-1).</summary>
    public static async Task<IdleClients> StartAsync(IRelayTarget target, int count)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, count).Select(i => target.ListenerUri(i).ToString()));
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(IdleClients).Assembly.Location);
        foreach (var a in new[] { "idle", file, target.Subscribe }) start.ArgumentList.Add(a);
        var child = Process.Start(start)!;
        try
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (line != "ready") throw new InvalidOperationException($"child clients: {line ?? "exited"}");
            return new IdleClients(child);
        }
        catch
        {
            child.Kill();
            child.Dispose();
            throw;
        }
        finally { File.Delete(file); }
    }

    /// <summary>Frames the child's sockets received so far.</summary>
    public async Task<long> FramesAsync()
    {
        await _child.StandardInput.WriteLineAsync("count");
        return long.Parse((await _child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _child.StandardInput.WriteLineAsync("exit");
            await _child.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }
        finally
        {
            if (!_child.HasExited) _child.Kill();
            _child.Dispose();
        }
    }

    /// <summary>Server memory per idle subscribed connection: (heap, working set) bytes, and the connections the server counted.</summary>
    public static async Task<(double HeapPerConnection, double WorkingSetPerConnection, long Connections)> MeasureMemoryAsync(IRelayTarget target, int count)
    {
        var connectionsBefore = target.ServerConnections();
        var before = MemorySnapshot.Take();
        long connections;
        (long Heap, long WorkingSet) after;
        await using (await StartAsync(target, count))
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            connections = target.ServerConnections() - connectionsBefore;
            after = MemorySnapshot.Take();
        }
        await WaitForConnectionsAsync(target, connectionsBefore);
        return ((after.Heap - before.Heap) / (double)count, (after.WorkingSet - before.WorkingSet) / (double)count, connections);
    }

    public static async Task WaitForConnectionsAsync(IRelayTarget target, long count)
    {
        var watch = Stopwatch.StartNew();
        while (target.ServerConnections() > count && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
    }
}
