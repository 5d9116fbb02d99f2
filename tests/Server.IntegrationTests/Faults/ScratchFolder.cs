using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace WalkieTalkie.Server.IntegrationTests.Faults;

/// <summary>
/// A folder the server cannot write into: a tiny tmpfs (full after a few KiB) or a read-only one, mounted by the test
/// and unmounted on dispose. Needs root (as tests and CI run here); an unprivileged run gets a chmod 0555 folder instead
/// of the read-only mount (root would ignore the mode) and cannot make a full filesystem, which then fails clearly.
/// </summary>
public sealed class ScratchFolder : IAsyncDisposable
{
    readonly bool _mounted;

    public string Path { get; }

    ScratchFolder(string path, bool mounted)
    {
        Path = path;
        _mounted = mounted;
    }

    static bool IsRoot => Environment.UserName == "root";

    public static async Task<ScratchFolder> TinyAsync(int kib)
    {
        var path = Directory.CreateTempSubdirectory("walkie-full-").FullName;
        if (!IsRoot) throw new InvalidOperationException("a full filesystem needs a tmpfs mount: run the tests as root");
        await RunAsync("mount", "-t", "tmpfs", "-o", $"size={kib}k,mode=0755", "tmpfs", path);
        return new ScratchFolder(path, mounted: true);
    }

    public static async Task<ScratchFolder> ReadOnlyAsync()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("tmpfs and unix modes: Linux only");
        var path = Directory.CreateTempSubdirectory("walkie-readonly-").FullName;
        if (!IsRoot)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            return new ScratchFolder(path, mounted: false);
        }
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", path);
        return new ScratchFolder(path, mounted: true);
    }

    /// <summary>Every regular file under the folder (none may be left by a failed upload).</summary>
    public string[] Files() => Directory.GetFiles(Path, "*", SearchOption.AllDirectories);

    static async Task RunAsync(string file, params string[] args)
    {
        var result = await ExternalProcess.RunAsync(file, args, "/", timeout: TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0) throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` failed: {result.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted) await RunAsync("umount", Path);
        else if (OperatingSystem.IsLinux()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Keeps what the server logged, for assertions on how a fault is reported.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    readonly System.Collections.Concurrent.ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose() { }

    sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<(string, LogLevel, string, Exception?)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) entries.Enqueue((category, logLevel, formatter(state, exception), exception));
        }
    }
}
