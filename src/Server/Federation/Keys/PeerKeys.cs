namespace WalkieTalkie.Server.Federation.Keys;

/// <summary>A peer's key answer as fetched, kept until `valid_until_ts` so every process of this server can use it.</summary>
public sealed record CachedServerKeys(string Id, string Response, long ValidUntilTs, DateTimeOffset FetchedAt);

/// <summary>
/// Other servers' signing keys: from memory, else the database, else fetched directly from the server
/// (`GET /_matrix/key/v2/server`) and checked. An unknown key id is fetched again at most every <see cref="RefetchGap"/>.
/// </summary>
public sealed class PeerKeys(FederationClient client, IDocumentStore store, ServerSigningKeys own, TimeProvider clock, ILogger<PeerKeys> logger)
{
    public static readonly TimeSpan RefetchGap = TimeSpan.FromSeconds(10);
    readonly ConcurrentDictionary<string, ServerKeySet> _memory = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, DateTimeOffset> _lastFetch = new(StringComparer.Ordinal);

    /// <summary>The key, or null when the server does not publish it (or cannot be reached and nothing is cached).</summary>
    public async Task<PeerKey?> FindAsync(string server, string keyId, CancellationToken ct)
    {
        if (server == own.ServerName) return await OwnAsync(keyId, ct);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var known = await KnownAsync(server, ct);
        if (known?.Find(keyId) is { } hit && (known.ValidUntilTs > now || hit.ExpiredTs is not null)) return hit;
        if (_lastFetch.TryGetValue(server, out var last) && clock.GetUtcNow() - last < RefetchGap) return known?.Find(keyId);
        var fetched = await FetchAsync(server, ct);
        // A server that is down keeps its last known keys: requests it signed before still verify.
        return (fetched ?? known)?.Find(keyId);
    }

    /// <summary>Every key of the server as last fetched (fetching when none is known); for checking event signatures.</summary>
    public async Task<ServerKeySet?> KeySetAsync(string server, CancellationToken ct) =>
        await KnownAsync(server, ct) ?? await FetchAsync(server, ct);

    /// <summary>The key set, fetched again when it is valid for less than <paramref name="minimumValidUntilTs"/> (notary queries).</summary>
    public async Task<ServerKeySet?> KeySetValidUntilAsync(string server, long minimumValidUntilTs, CancellationToken ct)
    {
        var known = await KnownAsync(server, ct);
        if (known is not null && known.ValidUntilTs >= minimumValidUntilTs) return known;
        if (known is not null && _lastFetch.TryGetValue(server, out var last) && clock.GetUtcNow() - last < RefetchGap) return known;
        return await FetchAsync(server, ct) ?? known;
    }

    async Task<PeerKey?> OwnAsync(string keyId, CancellationToken ct)
    {
        var key = await own.CurrentAsync(ct);
        if (key.KeyId == keyId) return new PeerKey(own.ServerName, keyId, key.PublicKey, long.MaxValue, null);
        var old = (await own.OldKeysAsync(ct)).FirstOrDefault(o => o.Id == keyId);
        return old is not null && Crypto.UnpaddedBase64.TryDecode(old.PublicKey, out var raw)
            ? new PeerKey(own.ServerName, keyId, raw, old.ExpiredAt.ToUnixTimeMilliseconds(), old.ExpiredAt.ToUnixTimeMilliseconds())
            : null;
    }

    async Task<ServerKeySet?> KnownAsync(string server, CancellationToken ct)
    {
        if (_memory.TryGetValue(server, out var set)) return set;
        await using var session = store.QuerySession();
        var cached = await session.LoadAsync<CachedServerKeys>(server, ct);
        if (cached is null) return null;
        set = ServerKeySet.Parse(server, JsonNode.Parse(cached.Response), out _);
        if (set is not null) _memory[server] = set;
        return set;
    }

    async Task<ServerKeySet?> FetchAsync(string server, CancellationToken ct)
    {
        _lastFetch[server] = clock.GetUtcNow();
        JsonNode answer;
        try
        {
            answer = await client.GetJsonAsync(server, "/_matrix/key/v2/server", ct, sign: false);
        }
        catch (FederationException e)
        {
            logger.LogWarning("Could not fetch the keys of {Server}: {Message}", server, e.Message);
            return null;
        }
        var set = ServerKeySet.Parse(server, answer, out var why);
        if (set is null)
        {
            logger.LogWarning("Keys of {Server} refused: {Why}", server, why);
            return null;
        }
        _memory[server] = set;
        await using var session = store.LightweightSession();
        session.Store(new CachedServerKeys(server, set.Response.ToJsonString(), set.ValidUntilTs, clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
        return set;
    }
}
