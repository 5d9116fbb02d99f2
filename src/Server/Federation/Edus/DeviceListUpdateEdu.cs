using WalkieTalkie.Server.Federation.Receiving;
using WalkieTalkie.Server.Matrix.Keys;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>
/// `m.device_list_update` in: a remote user's device changed; local users sharing a room with them see the user in
/// /sync `device_lists.changed` and query the keys again (answered live over federation, nothing cached here).
/// </summary>
public sealed class DeviceListUpdateEdu(IDocumentStore store, TimeProvider clock) : IIncomingEdu
{
    public const string Type = "m.device_list_update";

    public string EduType => Type;

    public Task HandleAsync(string origin, JsonObject content, CancellationToken ct) =>
        MarkChangedAsync(store, clock, origin, content, content["device_id"]?.GetValue<string>(), ct);

    /// <summary>Records the change of a user of <paramref name="origin"/> (a server speaks only for its own users).</summary>
    public static async Task MarkChangedAsync(IDocumentStore store, TimeProvider clock, string origin, JsonObject content, string? deviceId,
        CancellationToken ct)
    {
        if (content["user_id"]?.GetValue<string>() is not { } userId) return;
        if (!MatrixIds.TryParseUserId(userId, out _, out var server) || server != origin) return;
        await using var session = store.LightweightSession();
        await SyncLog.BeginAsync(session, ct);
        DeviceLists.Changed(session, userId, deviceId, clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
    }
}
