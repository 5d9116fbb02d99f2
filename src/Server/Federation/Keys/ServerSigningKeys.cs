using WalkieTalkie.Server.Federation.Crypto;

namespace WalkieTalkie.Server.Federation.Keys;

/// <summary>The stored signing key of this homeserver; in the database so every process on it signs as one server.</summary>
public sealed record StoredSigningKey(string Id, string KeyId, string Seed, DateTimeOffset CreatedAt)
{
    public const string CurrentId = "current";
}

/// <summary>A key this server no longer signs with, still published in `old_verify_keys` so old signatures verify.</summary>
public sealed record OldVerifyKey(string Id, string PublicKey, DateTimeOffset ExpiredAt);

/// <summary>This server's ed25519 signing key: generated once on first use, then loaded from the database.</summary>
public sealed class ServerSigningKeys(IDocumentStore store, IOptions<MatrixOptions> matrix, TimeProvider clock)
{
    readonly SemaphoreSlim _gate = new(1, 1);
    Ed25519Key? _current;

    public string ServerName => matrix.Value.ServerName;

    public async Task<Ed25519Key> CurrentAsync(CancellationToken ct = default)
    {
        if (_current is { } known) return known;
        await _gate.WaitAsync(ct);
        try
        {
            return _current ??= await LoadOrCreateAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<OldVerifyKey>> OldKeysAsync(CancellationToken ct = default)
    {
        await using var session = store.QuerySession();
        return await session.Query<OldVerifyKey>().ToListAsync(ct);
    }

    async Task<Ed25519Key> LoadOrCreateAsync(CancellationToken ct)
    {
        if (await StoredAsync(ct) is { } stored) return FromStored(stored);
        var fresh = new StoredSigningKey(StoredSigningKey.CurrentId, NewKeyId(), UnpaddedBase64.Encode(Ed25519Key.NewSeed()), clock.GetUtcNow());
        try
        {
            await using var write = store.LightweightSession();
            write.Insert(fresh);
            await write.SaveChangesAsync(ct);
            return FromStored(fresh);
        }
        catch (Exception)
        {
            // Another process of this homeserver stored its key first: sign with that one.
            return FromStored(await StoredAsync(ct) ?? throw new InvalidOperationException("the signing key could not be stored"));
        }
    }

    async Task<StoredSigningKey?> StoredAsync(CancellationToken ct)
    {
        await using var read = store.QuerySession();
        return await read.LoadAsync<StoredSigningKey>(StoredSigningKey.CurrentId, ct);
    }

    static Ed25519Key FromStored(StoredSigningKey stored) =>
        UnpaddedBase64.TryDecode(stored.Seed, out var seed) ? Ed25519Key.FromSeed(stored.KeyId, seed)
            : throw new InvalidOperationException("stored signing key seed is not base64");

    /// <summary>`ed25519:` and six characters from [a-zA-Z0-9_], as the spec's key id grammar allows.</summary>
    static string NewKeyId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var id = System.Security.Cryptography.RandomNumberGenerator.GetString(alphabet, 6);
        return $"{Ed25519Key.AlgorithmName}:a_{id}";
    }
}
