using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

namespace WalkieTalkie.Server.IntegrationTests.Federation;

/// <summary>
/// matrix-js-sdk, unmodified (plain and with its Rust crypto), on both sides of a federation: tests/clients/js/
/// federation.test.js gets hs1.test and hs2.test, each a server on its own database.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_matrix_js_sdk_clients_meet_across_servers(IntegrationFixture fixture)
{
    [Fact]
    public async Task the_js_federation_scenario_passes()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "clients", "js");
        if (!File.Exists(Path.Combine(folder, "node_modules", "ws", "package.json")))
        {
            var install = await ExternalProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder, timeout: TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, "npm ci failed:\n" + install.Output);
        }
        var run = await ExternalProcess.RunAsync("node",
            ["--test", "--test-force-exit", "--test-concurrency=1", "--test-reporter=spec", "federation.test.js"], folder,
            new Dictionary<string, string>
            {
                ["HS1_URL"] = pair.Hs1.BaseAddress.ToString().TrimEnd('/'),
                ["HS2_URL"] = pair.Hs2.BaseAddress.ToString().TrimEnd('/'),
            },
            TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, "matrix-js-sdk federation.test.js failed:\n" + (run.Output.Length <= 12_000 ? run.Output : run.Output[^12_000..]));
    }
}
