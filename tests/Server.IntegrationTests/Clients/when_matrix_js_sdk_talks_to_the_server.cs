namespace WalkieTalkie.Server.IntegrationTests.Clients;

/// <summary>
/// The real client library, unmodified: tests/clients/js runs matrix-js-sdk (with its Rust crypto) through node's
/// test runner against this run's server.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_matrix_js_sdk_talks_to_the_server(IntegrationFixture fixture)
{
    [Fact]
    public async Task the_js_scenario_passes()
    {
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "clients", "js");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "matrix-js-sdk")))
        {
            var install = await ExternalProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder, timeout: TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, "npm ci failed:\n" + install.Output);
        }

        var run = await ExternalProcess.RunAsync("node", ["--test", "--test-concurrency=1", "--test-reporter=spec"], folder,
            new Dictionary<string, string> { ["HOMESERVER_URL"] = fixture.Server.BaseAddress.ToString().TrimEnd('/') },
            TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, "matrix-js-sdk scenario failed:\n" + Tail(run.Output, 12_000));
    }

    static string Tail(string text, int max) => text.Length <= max ? text : text[^max..];
}
