using WalkieTalkie.Server.Federation.Receiving;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>
/// `m.device_list_update` and `m.signing_key_update` in: a remote user's devices or cross-signing keys changed; local
/// users sharing a room with them see the user in /sync `device_lists.changed` and query the keys again (answered live
/// over federation, nothing cached here). One instance is registered per EDU type (<see cref="Types"/>).
/// </summary>
public sealed class DeviceKeysChangedEdu(string eduType, IDocumentStore store, TimeProvider clock) : IIncomingEdu
{
    public const string DeviceListUpdate = "m.device_list_update";
    public const string SigningKeyUpdate = "m.signing_key_update";
    public static readonly string[] Types = [DeviceListUpdate, SigningKeyUpdate];

    public string EduType => eduType;

    /// <summary>
    /// Records the change of a user of <paramref name="origin"/> (a server speaks only for its own users). A device list
    /// update names the device; a signing key update has no <c>device_id</c>, so it is null there.
    /// </summary>
    public async Task HandleAsync(string origin, JsonObject content, CancellationToken ct)
    {
        if (content["user_id"]?.GetValue<string>() is not { } userId) return;
        if (!MatrixIds.TryParseUserId(userId, out _, out var server) || server != origin) return;
        await using var session = store.LightweightSession();
        await SyncLog.BeginAsync(session, ct);
        DeviceLists.Changed(session, userId, content["device_id"]?.GetValue<string>(), clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
    }
}
