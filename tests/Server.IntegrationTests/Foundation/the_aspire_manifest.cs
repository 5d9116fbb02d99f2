using System.Diagnostics;

namespace WalkieTalkie.Server.IntegrationTests.Foundation;

public sealed class the_aspire_manifest
{
    public const string Command = "dotnet run --project src/AppHost -- --publisher manifest --output-path ../../aspire-manifest.json";

    [Fact]
    public async Task is_what_the_app_host_generates_today()
    {
        var root = RepositoryPaths.Root;
        // Beside the committed file: project paths in the manifest are relative to it.
        var fresh = Path.Combine(root, $".aspire-manifest-{Guid.NewGuid():N}.json");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true,
            ArgumentList = { "run", "--project", "src/AppHost", "--", "--publisher", "manifest", "--output-path", fresh },
        };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, $"manifest generation failed: {await output}{await error}");

        try
        {
            var expected = JsonNode.Parse(await File.ReadAllTextAsync(fresh));
            var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(root, "aspire-manifest.json")));
            Assert.True(JsonNode.DeepEquals(expected, committed),
                $"aspire-manifest.json is stale; regenerate it with `{Command}`.");
        }
        finally { File.Delete(fresh); }
    }
}
