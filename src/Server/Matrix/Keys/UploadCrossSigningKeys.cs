namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>
/// POST /keys/device_signing/upload. Spec v1.11: no user-interactive auth for the first upload or for re-sending the
/// keys already stored; replacing keys needs `m.login.password`.
/// </summary>
public static class UploadCrossSigningKeys
{
    public static void MapUploadCrossSigningKeys(this RouteGroupBuilder v3) =>
        v3.MapPost("/keys/device_signing/upload", Handle).RequireAccessToken();

    sealed record ParsedKey(string Usage, string PublicKey, string Json);

    static readonly (string Member, string Usage)[] Members =
    [
        ("master_key", CrossSigningKey.Master), ("self_signing_key", CrossSigningKey.SelfSigning), ("user_signing_key", CrossSigningKey.UserSigning),
    ];

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<UserInteractiveAuth.Challenge>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, IDocumentSession session, IOptions<MatrixOptions> matrix,
        TimeProvider clock, CancellationToken ct)
    {
        var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
        var userId = http.Device().UserId;
        if (!body.IsObject()) return MatrixError.BadJson("Request body must be a JSON object").ToTypedResult();
        var uploaded = new List<ParsedKey>();
        foreach (var (member, usage) in Members)
        {
            if (!body.TryMember(member, out var element)) continue;
            if (Parse(element, usage, userId) is not { } key) return MatrixError.InvalidParam($"Invalid {usage} key").ToTypedResult();
            uploaded.Add(key);
        }

        await SyncLog.BeginAsync(session, ct);
        var stored = (await session.LoadManyAsync<CrossSigningKey>(ct, Members.Select(m => CrossSigningKey.Key(userId, m.Usage)).ToArray()))
            .ToDictionary(k => k.Usage);
        var changes = uploaded.Where(k => !stored.TryGetValue(k.Usage, out var old) || !SignedJson.SameContent(old.Json, k.Json)).ToList();
        if (changes.Count == 0) return TypedResults.Ok(EmptyResponse.Instance);

        if (stored.ContainsKey(CrossSigningKey.Master) && await AuthenticateAsync(session, body, userId, matrix.Value.ServerName, clock, ct) is { } challenge)
            return challenge;

        var master = uploaded.FirstOrDefault(k => k.Usage == CrossSigningKey.Master)?.PublicKey
                     ?? stored.GetValueOrDefault(CrossSigningKey.Master)?.PublicKey;
        if (master is null) return MatrixError.MissingParam("No master key available").ToTypedResult();
        foreach (var key in uploaded.Where(k => k.Usage != CrossSigningKey.Master))
        {
            // Shape only: the signature itself is checked by every client that trusts it.
            if (!HasSignature(key.Json, userId, $"ed25519:{master}"))
                return new MatrixError("M_INVALID_SIGNATURE", $"The {key.Usage} key must be signed by the master key").ToTypedResult();
        }
        var deviceIds = await session.Query<UserDevice>().Where(d => d.UserId == userId).Select(d => d.DeviceId).ToListAsync(ct);
        if (uploaded.Any(k => deviceIds.Contains(k.PublicKey))) return MatrixError.Forbidden("Key ID in use").ToTypedResult();

        var now = clock.GetUtcNow();
        foreach (var key in changes)
            session.Store(new CrossSigningKey(CrossSigningKey.Key(userId, key.Usage), userId, key.Usage, key.PublicKey, key.Json, now));
        DeviceLists.Changed(session, userId, null, now);
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }

    static ParsedKey? Parse(JsonElement key, string usage, string userId)
    {
        if (!key.IsObject() || key.String("user_id") != userId) return null;
        if (!key.TryGetProperty("usage", out var usages) || usages.ValueKind != JsonValueKind.Array
            || !usages.EnumerateArray().Any(u => u.ValueKind == JsonValueKind.String && u.GetString() == usage))
            return null;
        if (!key.TryGetProperty("keys", out var keys) || !keys.IsObject()) return null;
        var entries = keys.EnumerateObject().ToList();
        if (entries is not [var only] || !only.Name.StartsWith("ed25519:", StringComparison.Ordinal)
            || only.Value.ValueKind != JsonValueKind.String || only.Name.Length == "ed25519:".Length)
            return null;
        return new ParsedKey(usage, only.Name["ed25519:".Length..], key.GetRawText());
    }

    static bool HasSignature(string json, string userId, string keyId)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("signatures", out var signatures) && signatures.IsObject()
               && signatures.TryGetProperty(userId, out var byUser) && byUser.String(keyId) is not null;
    }

    /// <summary>Null when the request carries a valid `m.login.password` auth for the user; else the 401 challenge.</summary>
    static async Task<JsonHttpResult<UserInteractiveAuth.Challenge>?> AuthenticateAsync(IDocumentSession session, JsonElement body, string userId, string serverName,
        TimeProvider clock, CancellationToken ct)
    {
        string[][] flows = [["m.login.password"]];
        var auth = UserInteractiveAuth.Read(body.TryMember("auth", out var a) ? a : null);
        var known = await UserInteractiveAuth.IsKnownSessionAsync(session, auth?.Session, ct) ? auth!.Session : null;
        if (auth?.Type != "m.login.password" || string.IsNullOrEmpty(auth.Password))
            return await UserInteractiveAuth.ChallengeAsync(session, flows, clock.GetUtcNow(), ct, known);

        var who = auth.User is null ? userId : auth.User.StartsWith('@') ? auth.User : MatrixIds.UserId(auth.User.ToLowerInvariant(), serverName);
        var account = await session.LoadAsync<UserAccount>(userId, ct);
        if (who != userId || account is null || !PasswordHasher.Verify(auth.Password, account.PasswordHash))
            return await UserInteractiveAuth.ChallengeAsync(session, flows, clock.GetUtcNow(), ct, known,
                MatrixError.Forbidden("Invalid username or password"));
        if (known is not null) session.Delete<UiaSession>(known);
        return null;
    }
}
