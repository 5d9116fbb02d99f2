using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Queries;

/// <summary>
/// The client API's /keys/query and /keys/claim for users of other servers: one request per server, in parallel,
/// merged into the local answer; a server that fails is listed in `failures` (spec) and the rest is answered.
/// </summary>
public sealed class RemoteKeys(FederationClient client, ILogger<RemoteKeys> logger)
{
    /// <summary>The spec's default for how long /keys/query and /keys/claim wait for other servers.</summary>
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<Dictionary<string, JsonObject>> QueryAsync(IReadOnlyDictionary<string, string[]> remote, QueryKeys.KeysAnswer into,
        CancellationToken ct)
    {
        var answers = await AskEachServerAsync(remote.Keys, "/_matrix/federation/v1/user/keys/query",
            users => new JsonObject { ["device_keys"] = new JsonObject(users.Select(u => KeyValuePair.Create(u, (JsonNode?)new JsonArray(
                remote[u].Select(d => (JsonNode?)d).ToArray())))) }, ct);
        foreach (var (server, answer) in answers.Answers)
        {
            if (answer["device_keys"] is JsonObject devices)
                foreach (var (userId, byDevice) in devices.Where(u => OfServer(u.Key, server)))
                    if (byDevice is JsonObject d) into.DeviceKeys[userId] = d.ToDictionary(k => k.Key, k => new RawJson(k.Value!.ToJsonString()));
            Merge(answer["master_keys"], server, into.MasterKeys);
            Merge(answer["self_signing_keys"], server, into.SelfSigningKeys);
        }
        return answers.Failures;
    }

    public async Task<Dictionary<string, JsonObject>> ClaimAsync(IReadOnlyList<(string UserId, string DeviceId, string Algorithm)> remote,
        Dictionary<string, Dictionary<string, Dictionary<string, RawJson>>> into, CancellationToken ct)
    {
        var byUser = remote.ToLookup(r => r.UserId);
        var answers = await AskEachServerAsync(byUser.Select(g => g.Key), "/_matrix/federation/v1/user/keys/claim",
            users => new JsonObject
            {
                ["one_time_keys"] = new JsonObject(users.Select(u => KeyValuePair.Create(u,
                    (JsonNode?)new JsonObject(byUser[u].Select(r => KeyValuePair.Create(r.DeviceId, (JsonNode?)r.Algorithm)))))),
            }, ct);
        foreach (var (server, answer) in answers.Answers)
        {
            if (answer["one_time_keys"] is not JsonObject claimed) continue;
            foreach (var (userId, byDevice) in claimed.Where(u => OfServer(u.Key, server)))
            {
                if (byDevice is not JsonObject devices) continue;
                into[userId] = devices.Where(d => d.Value is JsonObject).ToDictionary(d => d.Key,
                    d => d.Value!.AsObject().ToDictionary(k => k.Key, k => new RawJson(k.Value!.ToJsonString())));
            }
        }
        return answers.Failures;
    }

    async Task<(List<(string Server, JsonObject Answer)> Answers, Dictionary<string, JsonObject> Failures)> AskEachServerAsync(
        IEnumerable<string> userIds, string path, Func<IReadOnlyList<string>, JsonObject> body, CancellationToken ct)
    {
        var servers = userIds.GroupBy(u => u[(u.IndexOf(':') + 1)..]).ToList();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        var asks = servers.Select(async group =>
        {
            try
            {
                var answer = await client.PostJsonAsync(group.Key, path, body(group.ToList()), timeout.Token);
                return (group.Key, answer as JsonObject, (JsonObject?)null);
            }
            catch (Exception e) when (e is FederationException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                logger.LogInformation("{Path} on {Server} failed: {Message}", path, group.Key, e.Message);
                var failure = new JsonObject { ["error"] = e.Message };
                if (e is FederationException { Status: > 0 } f) failure["status"] = f.Status;
                return (group.Key, (JsonObject?)null, failure);
            }
        });
        var answers = new List<(string, JsonObject)>();
        var failures = new Dictionary<string, JsonObject>();
        foreach (var (server, answer, failure) in await Task.WhenAll(asks))
        {
            if (answer is not null) answers.Add((server, answer));
            else failures[server] = failure ?? new JsonObject();
        }
        return (answers, failures);
    }

    static void Merge(JsonNode? keys, string server, Dictionary<string, RawJson> into)
    {
        if (keys is not JsonObject byUser) return;
        foreach (var (userId, key) in byUser)
            if (OfServer(userId, server) && key is JsonObject) into[userId] = new RawJson(key.ToJsonString());
    }

    /// <summary>A server answers only for its own users.</summary>
    static bool OfServer(string userId, string server) => MatrixIds.TryParseUserId(userId, out _, out var s) && s == server;
}
