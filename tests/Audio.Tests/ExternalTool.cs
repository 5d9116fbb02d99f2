using System.Diagnostics;

namespace WalkieTalkie.Audio.Tests;

/// <summary>Runs the Debian audio tools the tests check against; a missing tool fails the test, it never skips it.</summary>
public static class ExternalTool
{
    public const string InstallHint = "Install the audio tools the tests need: apt-get install -y opus-tools espeak-ng sox";

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    /// <summary>The tool's full path, or a failed test that says how to install it.</summary>
    public static string Require(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail($"'{tool}' is not on PATH. {InstallHint}");
        return ""; // unreachable: Assert.Fail throws
    }

    public static Result Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', args)} did not finish within 60 s.");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a tool and fails the test, with its output, unless it exits 0.</summary>
    public static Result RunChecked(string tool, params string[] args)
    {
        Result result = Run(tool, args);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Output}");
        return result;
    }
}
