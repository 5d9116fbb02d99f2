namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>
/// POST /keys/signatures/upload: the caller's signatures on their own devices and master key (by device or
/// self-signing key) and on other users' master keys (by their user-signing key). The signed object must be the
/// stored key apart from `signatures`/`unsigned`; only signatures made by the caller are taken.
/// </summary>
public static class UploadSignatures
{
    public sealed record Response(Dictionary<string, Dictionary<string, MatrixError>> Failures);

    public static void MapUploadSignatures(this RouteGroupBuilder v3) =>
        v3.MapPost("/keys/signatures/upload", Handle).RequireAccessToken();

    static async Task<Results<Ok<Response>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var body = await MatrixBody.ReadElementAsync(http.Request, KeysModule.MaxBodyBytes);
        var signer = http.Device().UserId;
        if (!body.IsObject()) return MatrixError.BadJson("Request body must be a JSON object").ToTypedResult();
        var failures = new Dictionary<string, Dictionary<string, MatrixError>>();
        void Fail(string user, string keyId, MatrixError error) =>
            (failures.TryGetValue(user, out var f) ? f : failures[user] = [])[keyId] = error;

        await SyncLog.BeginAsync(session, ct);
        var changedUsers = new HashSet<string>();
        var now = clock.GetUtcNow();
        foreach (var user in body.EnumerateObject())
        {
            if (!user.Value.IsObject()) return MatrixError.BadJson("Signatures map user ids to {key id: signed object}").ToTypedResult();
            var masterOfTarget = await session.LoadAsync<CrossSigningKey>(CrossSigningKey.Key(user.Name, CrossSigningKey.Master), ct);
            foreach (var signed in user.Value.EnumerateObject())
            {
                var keyId = signed.Name;
                if (!signed.Value.IsObject())
                {
                    Fail(user.Name, keyId, MatrixError.BadJson("Signed object must be a JSON object"));
                    continue;
                }
                // What the signed object claims to be: the target's master key, or (own user only) one of their devices.
                string? storedJson = masterOfTarget is not null && masterOfTarget.PublicKey == keyId ? masterOfTarget.Json : null;
                if (storedJson is null && user.Name == signer)
                    storedJson = (await session.LoadAsync<UploadedDeviceKeys>(UploadedDeviceKeys.Key(signer, keyId), ct))?.Json;
                if (storedJson is null)
                {
                    Fail(user.Name, keyId, new MatrixError("M_NOT_FOUND", "Unknown key") { Status = 404 });
                    continue;
                }
                if (!SignedJson.SameSignedContent(storedJson, signed.Value.GetRawText()))
                {
                    Fail(user.Name, keyId, new MatrixError("M_INVALID_SIGNATURE", "Signed object does not match the stored key"));
                    continue;
                }
                if (!signed.Value.TryGetProperty("signatures", out var all) || !all.IsObject()
                    || !all.TryGetProperty(signer, out var mine) || !mine.IsObject()
                    || mine.EnumerateObject().Any(s => s.Value.ValueKind != JsonValueKind.String) || !mine.EnumerateObject().Any())
                {
                    Fail(user.Name, keyId, new MatrixError("M_INVALID_SIGNATURE", "No signature by the uploading user"));
                    continue;
                }
                using var stored = JsonDocument.Parse(storedJson);
                var alreadySigned = stored.RootElement.TryMember("signatures", out var storedAll) && storedAll.TryMember(signer, out var storedMine)
                    ? storedMine : default;
                foreach (var signature in mine.EnumerateObject())
                {
                    // The object as uploaded already carries this one (a device's self-signature, typically).
                    if (alreadySigned.String(signature.Name) == signature.Value.GetString()) continue;
                    var id = KeySignature.Key(user.Name, keyId, signer, signature.Name);
                    var existing = await session.LoadAsync<KeySignature>(id, ct);
                    if (existing?.Signature == signature.Value.GetString()) continue;
                    session.Store(new KeySignature(id, user.Name, keyId, signer, signature.Name, signature.Value.GetString()!));
                    // The target's keys changed as seen by the signer; others who re-query it merely find nothing new.
                    changedUsers.Add(user.Name);
                }
            }
        }
        foreach (var user in changedUsers) DeviceLists.Changed(session, user, null, now);
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(new Response(failures));
    }
}
