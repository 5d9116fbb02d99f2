using WalkieTalkie.Server.Federation.Queries;

namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>POST /keys/query: device keys and cross-signing keys of local users (remote ones asked of their servers), with signatures uploaded later merged in.</summary>
public static class QueryKeys
{
    /// <summary>The keys by user id (devices by device id), and the servers that could not be asked.</summary>
    public sealed record Response(
        Dictionary<string, Dictionary<string, RawJson>> DeviceKeys,
        Dictionary<string, JsonObject> Failures,
        Dictionary<string, RawJson> MasterKeys,
        Dictionary<string, RawJson> SelfSigningKeys,
        Dictionary<string, RawJson> UserSigningKeys);

    public static void MapQueryKeys(this RouteGroupBuilder v3) =>
        v3.MapPost("/keys/query", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, IQuerySession session, IOptions<MatrixOptions> matrix, RemoteKeys federation,
        CancellationToken ct)
    {
        var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
        var requester = http.Device().UserId;
        if (!body.IsObject() || !body.TryGetProperty("device_keys", out var query) || !query.IsObject())
            return MatrixError.BadJson("'device_keys' must be a JSON object").ToTypedResult();
        var wanted = new Dictionary<string, string[]>();
        var remote = new Dictionary<string, string[]>();
        foreach (var user in query.EnumerateObject())
        {
            if (user.Value.ValueKind != JsonValueKind.Array || user.Value.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.String))
                return MatrixError.BadJson("'device_keys' values must be a list of strings").ToTypedResult();
            var devices = user.Value.EnumerateArray().Select(d => d.GetString()!).ToArray();
            if (MatrixIds.IsLocal(user.Name, matrix.Value.ServerName)) wanted[user.Name] = devices;
            else if (MatrixIds.TryParseUserId(user.Name, out _, out _)) remote[user.Name] = devices;
        }

        var local = await LocalAsync(session, wanted, requester, ct);
        // Users of other servers: asked of their servers (POST /_matrix/federation/v1/user/keys/query), merged in.
        var failures = await federation.QueryAsync(remote, local, ct);
        return TypedResults.Ok(new Response(local.DeviceKeys, failures, local.MasterKeys, local.SelfSigningKeys, local.UserSigningKeys ?? []));
    }

    /// <summary>
    /// What /keys/query answers, per user id; also the federation's /user/keys/query answer as it stands, where user-signing
    /// keys are null (omitted): they are their owner's alone.
    /// </summary>
    public sealed record KeysAnswer(
        Dictionary<string, Dictionary<string, RawJson>> DeviceKeys,
        Dictionary<string, RawJson> MasterKeys,
        Dictionary<string, RawJson> SelfSigningKeys,
        Dictionary<string, RawJson>? UserSigningKeys);

    /// <summary>Keys of local users; <paramref name="requester"/> sees their own user-signing key and signatures (null: a server asks).</summary>
    public static async Task<KeysAnswer> LocalAsync(IQuerySession session, IReadOnlyDictionary<string, string[]> wanted, string? requester,
        CancellationToken ct)
    {
        var users = wanted.Keys.ToArray();
        var deviceKeys = await session.Query<UploadedDeviceKeys>().Where(k => k.UserId.IsOneOf(users)).ToListAsync(ct);
        var devices = (await session.Query<UserDevice>().Where(d => d.UserId.IsOneOf(users)).ToListAsync(ct))
            .ToDictionary(d => d.Id);
        var crossSigning = await session.Query<CrossSigningKey>().Where(k => k.UserId.IsOneOf(users)).ToListAsync(ct);
        // Signatures by a user's own keys are public; another user's signatures (their user-signing key) only they see.
        var signatures = (await session.Query<KeySignature>().Where(s => s.TargetUserId.IsOneOf(users)).ToListAsync(ct))
            .Where(s => s.SignerUserId == s.TargetUserId || s.SignerUserId == requester)
            .ToLookup(s => (s.TargetUserId, s.TargetKeyId));

        var result = new Dictionary<string, Dictionary<string, RawJson>>();
        foreach (var (userId, deviceIds) in wanted)
        {
            var forUser = result[userId] = new Dictionary<string, RawJson>();
            foreach (var keys in deviceKeys.Where(k => k.UserId == userId && (deviceIds.Length == 0 || deviceIds.Contains(k.DeviceId))))
            {
                var displayName = devices.GetValueOrDefault(UserDevice.Key(userId, keys.DeviceId))?.DisplayName;
                var unsigned = displayName is null ? null : new JsonObject { ["device_display_name"] = displayName };
                forUser[keys.DeviceId] = new RawJson(SignedJson.Extend(keys.Json, signatures[(userId, keys.DeviceId)].ToList(), unsigned));
            }
        }

        Dictionary<string, RawJson> KeysOf(string usage, Func<string, bool> visible) => crossSigning
            .Where(k => k.Usage == usage && visible(k.UserId))
            .ToDictionary(k => k.UserId, k => new RawJson(SignedJson.Extend(k.Json, signatures[(k.UserId, k.PublicKey)].ToList())));

        return new KeysAnswer(result, KeysOf(CrossSigningKey.Master, _ => true), KeysOf(CrossSigningKey.SelfSigning, _ => true),
            requester is null ? null : KeysOf(CrossSigningKey.UserSigning, u => u == requester));
    }
}
