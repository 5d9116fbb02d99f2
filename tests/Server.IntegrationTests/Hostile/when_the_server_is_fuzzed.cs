using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using Xunit.Abstractions;

namespace WalkieTalkie.Server.IntegrationTests.Hostile;

/// <summary>
/// At least 100,000 malformed or random requests over every route of a real host (with valid, unknown and no tokens)
/// and random WebSocket messages to the stream: no 5xx, every non-2xx answer a Matrix error, and the server still
/// works afterwards. WALKIE_FUZZ_SEED picks the inputs (default 14, printed); WALKIE_FUZZ_REQUESTS the count.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_the_server_is_fuzzed(IntegrationFixture fixture, ITestOutputHelper output)
{
    const int Workers = 8;
    const int Sockets = 3;
    /// <summary>Per socket: enough to reach every control path without starving the HTTP side of CPU.</summary>
    const int MessagesPerSocket = 1500;
    const string StreamPath = "/_matrix/client/unstable/org.matrix.msc4002/stream";

    [Fact]
    public async Task nothing_answers_5xx_or_a_non_matrix_error_and_the_server_still_works()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("WALKIE_FUZZ_SEED"), out var s) ? s : 14;
        var total = int.TryParse(Environment.GetEnvironmentVariable("WALKIE_FUZZ_REQUESTS"), out var n) ? n : 100_000;
        output.WriteLine($"fuzz seed {seed} (WALKIE_FUZZ_SEED), {total} requests");
        Console.WriteLine($"when_the_server_is_fuzzed: seed {seed}, {total} requests");

        await using var host = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync());
        var users = new List<MatrixTestClient>();
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var user = await MatrixTestClient.RegisterAsync(host);
            var room = await user.CreateRoomAsync(new { name = "fuzz" });
            ids.AddRange([user.UserId, user.DeviceId, room, await user.SendTextAsync(room, "hello")]);
            users.Add(user);
        }
        var routes = RouteCatalog.Of(host);

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var sent = 0;
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var stop = new CancellationTokenSource();
        var sockets = Enumerable.Range(0, Sockets)
            .Select(w => FuzzStreamAsync(host, users[w % users.Count], new Random(seed * 1000 + 500 + w), ids, failures, stop.Token))
            .ToArray();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + w);
            var input = new FuzzInput(random, ids);
            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
            {
                BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60),
            };
            while (Interlocked.Increment(ref sent) <= total)
                await OneAsync(http, input, random, routes, users, statuses, failures);
        })));
        stop.Cancel();
        var socketMessages = (await Task.WhenAll(sockets)).Sum();
        clock.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;

        var summary = $"{total} requests in {clock.Elapsed.TotalSeconds:F1} s ({total / clock.Elapsed.TotalSeconds:F0}/s), " +
                      $"{socketMessages} WebSocket messages, {cpu.TotalMilliseconds / total:F2} ms CPU per request (server and fuzzer, this process); statuses " +
                      string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}"));
        output.WriteLine(summary);
        Console.WriteLine("when_the_server_is_fuzzed: " + summary);
        Assert.True(failures.IsEmpty, $"seed {seed}: {failures.Count} bad answers, first ones:\n" + string.Join("\n", failures.Take(25)));
        Assert.True(socketMessages >= MessagesPerSocket * Sockets, $"only {socketMessages} WebSocket messages sent");

        // Afterwards the server still does the ordinary things.
        var alice = await MatrixTestClient.RegisterAsync(host);
        var bob = await MatrixTestClient.RegisterAsync(host);
        var afterRoom = await alice.CreateRoomAsync();
        await alice.InviteAsync(afterRoom, bob.UserId);
        await bob.JoinAsync(afterRoom);
        await alice.SendTextAsync(afterRoom, "still here");
        Assert.Contains((await bob.SyncAsync()).TimelineOf(afterRoom), e => e["content"]?["body"]?.GetValue<string>() == "still here");
    }

    static async Task OneAsync(HttpClient http, FuzzInput input, Random random, IReadOnlyList<Route> routes,
        IReadOnlyList<MatrixTestClient> users, ConcurrentDictionary<int, int> statuses, ConcurrentQueue<string> failures)
    {
        var route = routes[random.Next(routes.Count)];
        var method = input.Method(route.Method);
        var path = route.Template;
        foreach (var name in route.Parameters) path = path.Replace("{" + name + "}", input.PathValue(name));
        path += input.Query();
        var (body, contentType) = input.Body(method is "POST" or "PUT");

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        var tokenRoll = random.NextDouble();
        // A valid token on logout would end the fuzzing device's session; those get unknown tokens instead.
        var endsSession = route.Template.EndsWith("/logout", StringComparison.Ordinal) || route.Template.EndsWith("/logout/all", StringComparison.Ordinal);
        if (tokenRoll < 0.3 && !endsSession)
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + users[random.Next(users.Count)].AccessToken);
        else if (tokenRoll < 0.5)
            request.Headers.TryAddWithoutValidation("Authorization", random.Next(3) == 0 ? "Bearer" : "Bearer syt_" + Convert.ToHexString(BitConverter.GetBytes(random.NextInt64())));

        var what = $"{method} {path[..Math.Min(path.Length, 200)]} body {(body is null ? "none" : body.Length + " bytes")} {contentType}";
        try
        {
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
            var text = await response.Content.ReadAsStringAsync();
            if (status >= 500) failures.Enqueue($"{status} {what}: {text}");
            else if (status >= 300 && !IsMatrixError(text) && !(status == 401 && IsInteractiveAuth(text))) failures.Enqueue($"{status} not a Matrix error {what}: {text}");
        }
        catch (HttpRequestException e) when (body is { Length: > WalkieTalkie.Server.Infrastructure.MatrixBody.DefaultMaxBytes })
        {
            // The server answered 413 and closed while a huge body was still being sent: that race is the client's.
            statuses.AddOrUpdate(-413, 1, (_, c) => c + 1);
            _ = e;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            failures.Enqueue($"transport {e.GetType().Name} {what}: {e.Message}");
        }
    }

    static bool IsMatrixError(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject o && o["errcode"] is JsonValue code && code.TryGetValue<string>(out _)
                   && o["error"] is JsonValue error && error.TryGetValue<string>(out _);
        }
        catch (JsonException) { return false; }
    }

    /// <summary>The first step of user-interactive auth: 401 with flows and a session, no errcode (spec).</summary>
    static bool IsInteractiveAuth(string text)
    {
        try { return JsonNode.Parse(text) is JsonObject o && o["flows"] is JsonArray && o["session"] is JsonValue; }
        catch (JsonException) { return false; }
    }

    /// <summary>Random binary and text messages on live streams; a closed socket is opened again. Never a 1011.</summary>
    static async Task<int> FuzzStreamAsync(WalkieHost host, MatrixTestClient user, Random random, IReadOnlyList<string> ids,
        ConcurrentQueue<string> failures, CancellationToken stop)
    {
        var input = new FuzzInput(random, ids);
        var uri = new UriBuilder(host.BaseAddress) { Scheme = "ws", Path = StreamPath, Query = "access_token=" + Uri.EscapeDataString(user.AccessToken) }.Uri;
        var messages = 0;
        while (messages < MessagesPerSocket)
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(uri, CancellationToken.None);
            var reading = DrainAsync(socket, failures);
            try
            {
                while (socket.State == WebSocketState.Open && messages < MessagesPerSocket)
                {
                    var (bytes, text) = input.SocketMessage();
                    await socket.SendAsync(bytes, text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, CancellationToken.None);
                    messages++;
                    if (messages % 20 == 0) await Task.Delay(10, CancellationToken.None);
                }
            }
            catch (WebSocketException)
            {
                // The server closed it (too many invalid frames) while we were sending: allowed; its close status is checked while draining.
            }
            if (socket.State == WebSocketState.Open)
            {
                try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None); }
                catch (WebSocketException) { }
            }
            await reading;
        }
        return messages;
    }

    static async Task DrainAsync(ClientWebSocket socket, ConcurrentQueue<string> failures)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) break;
            }
        }
        catch (WebSocketException) { }
        if (socket.CloseStatus == WebSocketCloseStatus.InternalServerError)
            failures.Enqueue($"stream closed with 1011: {socket.CloseStatusDescription}");
    }
}
