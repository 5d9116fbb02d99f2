namespace WalkieTalkie.Web.Tests;

/// <summary>
/// Issue 10 end to end: the browser walkie-talkie (src/Web, served by this server at /walkie/) in Debian's chromium,
/// driven by playwright-core (tests/Web.Tests/e2e), against a real server on a throwaway PostgreSQL.
/// </summary>
public sealed class when_two_browsers_talk_encrypted : IAsyncLifetime
{
    TestDatabaseServer _database = null!;
    WalkieHost _server = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabaseServer.StartAsync();
        _server = await WalkieHost.StartAsync(await _database.CreateDatabaseAsync("walkie_web"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task the_page_serves_without_a_token()
    {
        using var http = _server.CreateClient();
        var page = await http.GetStringAsync("/walkie/");
        Assert.Contains("app.js", page);
        using var wasm = await http.GetAsync("/walkie/pkg/matrix_sdk_crypto_wasm_bg.wasm");
        Assert.Equal("application/wasm", wasm.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// Alice talks, bob hears the spoken WAV; the server relays only kind-2 frames; carol without consent gets no key and
    /// no audio; the recording is an encrypted attachment opusinfo accepts; bob's withdrawal rotates alice's key; two
    /// rooms queue; /sync opens the stream outside walkie mode.
    /// </summary>
    [Fact]
    public async Task the_browser_scenario_passes()
    {
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "Web.Tests", "e2e");
        if (!File.Exists(Path.Combine(folder, "node_modules", "playwright-core", "package.json")))
        {
            var install = await ExternalProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder, timeout: TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, "npm ci failed:\n" + install.Output);
        }
        var environment = new Dictionary<string, string> { ["HOMESERVER_URL"] = _server.BaseAddress.ToString().TrimEnd('/') };
        // WALKIE_SCREENSHOTS=1 refreshes docs/screenshots from this run.
        if (Environment.GetEnvironmentVariable("WALKIE_SCREENSHOTS") == "1")
            environment["SCREENSHOTS"] = Path.Combine(RepositoryPaths.Root, "docs", "screenshots");
        var run = await ExternalProcess.RunAsync("node", ["--test", "--test-concurrency=1", "--test-reporter=spec", "walkie.test.mjs"],
            folder, environment, TimeSpan.FromMinutes(8));
        Assert.True(run.ExitCode == 0, "the browser scenario failed:\n" + Tail(run.Output, 12_000));
    }

    static string Tail(string text, int max) => text.Length <= max ? text : text[^max..];
}
