namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>POST /keys/upload: device identity keys, one-time keys and fallback keys of the calling device.</summary>
public static class UploadKeys
{
    public sealed record Response(IReadOnlyDictionary<string, int> OneTimeKeyCounts);

    public static void MapUploadKeys(this RouteGroupBuilder v3) =>
        v3.MapPost("/keys/upload", Handle).RequireAccessToken();

    sealed record UploadedKey(string Algorithm, string KeyId, string Json);

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
        var device = http.Device();
        if (!body.IsObject()) return MatrixError.BadJson("Request body must be a JSON object").ToTypedResult();

        string? deviceKeys = null;
        if (body.TryMember("device_keys", out var dk))
        {
            if (ValidateDeviceKeys(dk) is { } invalid) return MatrixError.BadJson(invalid).ToTypedResult();
            // Synapse answers M_BAD_JSON here too; the spec only says the ids "must match".
            if (dk.String("user_id") != device.UserId)
                return MatrixError.BadJson("Provided `user_id` in `device_keys` does not match that of the authenticated user").ToTypedResult();
            if (dk.String("device_id") != device.DeviceId)
                return MatrixError.BadJson("Provided `device_id` in `device_keys` does not match that of the authenticated user device").ToTypedResult();
            deviceKeys = dk.GetRawText();
        }
        if (ReadKeys(body, "one_time_keys", out var oneTimeKeys) is { } badOtk) return MatrixError.BadJson(badOtk).ToTypedResult();
        if (ReadKeys(body, "fallback_keys", out var fallbackKeys) is { } badFallback) return MatrixError.BadJson(badFallback).ToTypedResult();
        if (fallbackKeys.GroupBy(k => k.Algorithm).Any(g => g.Count() > 1))
            return MatrixError.BadJson("At most one fallback key per algorithm").ToTypedResult();

        var now = clock.GetUtcNow();
        // The global append lock is only needed when a device-list change may be appended; one-time keys alone skip it.
        if (deviceKeys is not null) await SyncLog.BeginAsync(session, ct);

        if (oneTimeKeys.Count > 0)
        {
            var ids = oneTimeKeys.Select(k => OneTimeKey.Key(device.UserId, device.DeviceId, $"{k.Algorithm}:{k.KeyId}")).ToArray();
            var existing = (await session.LoadManyAsync<OneTimeKey>(ct, ids)).ToDictionary(k => k.Id);
            var rankBase = now.ToUnixTimeMilliseconds() * 100_000;
            for (var i = 0; i < oneTimeKeys.Count; i++)
            {
                var key = oneTimeKeys[i];
                if (existing.TryGetValue(ids[i], out var old))
                {
                    // As in Synapse: a retried upload of the same key is fine, a different key under a used id is not.
                    if (SignedJson.SameContent(old.Json, key.Json)) continue;
                    return new MatrixError("M_UNKNOWN", $"One time key {key.Algorithm}:{key.KeyId} already exists with different content").ToTypedResult();
                }
                session.Store(new OneTimeKey(ids[i], device.UserId, device.DeviceId, key.Algorithm, key.KeyId, key.Json, rankBase + i));
            }
        }

        foreach (var key in fallbackKeys)
        {
            var id = FallbackKey.Key(device.UserId, device.DeviceId, key.Algorithm);
            var old = await session.LoadAsync<FallbackKey>(id, ct);
            // Re-uploading the current fallback key must not make a used key look unused again.
            if (old is not null && old.KeyId == key.KeyId && SignedJson.SameContent(old.Json, key.Json)) continue;
            session.Store(new FallbackKey(id, device.UserId, device.DeviceId, key.Algorithm, key.KeyId, key.Json, Used: false));
        }

        if (deviceKeys is not null)
        {
            var id = UploadedDeviceKeys.Key(device.UserId, device.DeviceId);
            var old = await session.LoadAsync<UploadedDeviceKeys>(id, ct);
            if (old is null || !SignedJson.SameContent(old.Json, deviceKeys))
            {
                session.Store(new UploadedDeviceKeys(id, device.UserId, device.DeviceId, deviceKeys, now));
                // Signatures made over the previous keys no longer hold.
                if (old is not null && !SignedJson.SameSignedContent(old.Json, deviceKeys))
                    session.DeleteWhere<KeySignature>(s => s.TargetUserId == device.UserId && s.TargetKeyId == device.DeviceId);
                DeviceLists.Changed(session, device.UserId, device.DeviceId, now);
            }
        }

        await session.SaveChangesAsync(ct);
        var (counts, _) = await KeyCounts.ForDeviceAsync(session, device, ct);
        return TypedResults.Ok(new Response(counts));
    }

    static string? ValidateDeviceKeys(JsonElement dk)
    {
        if (!dk.IsObject()) return "`device_keys` must be an object";
        if (dk.String("user_id") is null || dk.String("device_id") is null) return "`device_keys` needs `user_id` and `device_id`";
        if (!dk.TryGetProperty("algorithms", out var algorithms) || algorithms.ValueKind != JsonValueKind.Array
            || algorithms.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
            return "`device_keys.algorithms` must be a list of strings";
        if (!dk.TryGetProperty("keys", out var keys) || !keys.IsObject()
            || keys.EnumerateObject().Any(k => k.Value.ValueKind != JsonValueKind.String))
            return "`device_keys.keys` must map key ids to strings";
        if (!dk.TryGetProperty("signatures", out var signatures) || !signatures.IsObject())
            return "`device_keys.signatures` must be an object";
        return null;
    }

    /// <summary>`one_time_keys` / `fallback_keys`: "algorithm:key_id" → key object (or a bare key string for unsigned algorithms).</summary>
    static string? ReadKeys(JsonElement body, string member, out List<UploadedKey> keys)
    {
        keys = [];
        if (!body.TryMember(member, out var map)) return null;
        if (!map.IsObject()) return $"`{member}` must be an object";
        foreach (var property in map.EnumerateObject())
        {
            var parts = property.Name.Split(':');
            if (parts is not [{ Length: > 0 } algorithm, { Length: > 0 } keyId])
                return $"Invalid {member} key {property.Name}: expected \"<algorithm>:<key_id>\"";
            if (property.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.String))
                return $"{member}.{property.Name} must be a key object";
            if (property.Value.ValueKind == JsonValueKind.Object && property.Value.String("key") is null)
                return $"{member}.{property.Name} needs a `key`";
            keys.Add(new UploadedKey(algorithm, keyId, property.Value.GetRawText()));
        }
        return null;
    }
}
