namespace WalkieTalkie.Server.IntegrationTests.Clients;

/// <summary>
/// The real client library, unmodified: tests/clients/js runs matrix-js-sdk (with its Rust crypto) through node's
/// test runner against this run's server.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_matrix_js_sdk_talks_to_the_server(IntegrationFixture fixture)
{
    [Fact]
    public Task the_js_scenario_passes() => RunAsync("scenario.test.js");

    /// <summary>Talks over the live stream (PROTOCOL.md "Live audio"): fails until the server serves <c>$P/stream</c>.</summary>
    [Fact]
    public Task the_js_recording_scenario_passes() => RunAsync("recording.test.js");

    async Task RunAsync(string testFile)
    {
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "clients", "js");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "ws")))
        {
            var install = await ExternalProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder, timeout: TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, "npm ci failed:\n" + install.Output);
        }

        var run = await ExternalProcess.RunAsync("node", ["--test", "--test-force-exit", "--test-concurrency=1", "--test-reporter=spec", testFile], folder,
            new Dictionary<string, string> { ["HOMESERVER_URL"] = fixture.Server.BaseAddress.ToString().TrimEnd('/') },
            TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, $"matrix-js-sdk {testFile} failed:\n" + Tail(run.Output, 12_000));
    }

    static string Tail(string text, int max) => text.Length <= max ? text : text[^max..];
}
