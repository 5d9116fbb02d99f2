using System.Diagnostics;
using System.Text;

namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

/// <summary>Runs a tool (node, npm, opusinfo...) to completion and keeps its output for assertions.</summary>
public static class ExternalProcess
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string workingDirectory,
        IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;

        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"`{file}` is not installed or not on PATH ({e.Message})", e);
        }
        using (process)
        {
            var output = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try { await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(10)); }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"`{file} {string.Join(' ', psi.ArgumentList)}` did not finish:\n{output}");
            }
            process.WaitForExit();
            return new Result(process.ExitCode, output.ToString());
        }
    }
}
