using Microsoft.Extensions.Options;
using WalkieTalkie.Server.Infrastructure.Sync;
using WalkieTalkie.Server.Matrix.Account;

namespace WalkieTalkie.Server.Matrix.ToDevice;

/// <summary>PUT /sendToDevice/{eventType}/{txnId}: one ToDeviceMessage per target device, once per transaction id.</summary>
public static class SendToDevice
{
    /// <summary>Room-key shares to many devices are the big ones; Synapse's overall request limit is of this order too.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public static void MapSendToDevice(this RouteGroupBuilder v3) =>
        v3.MapPut("/sendToDevice/{eventType}/{txnId}", Handle).RequireAccessToken();

    static async Task<IResult> Handle(HttpContext http, string eventType, string txnId, IDocumentSession session,
        IOptions<MatrixOptions> matrix, TimeProvider clock, CancellationToken ct)
    {
        var sender = http.Device();
        var body = await MatrixBody.ReadElementAsync(http.Request, MaxBodyBytes);
        if (!body.TryGetProperty("messages", out var messages))
            return MatrixError.MissingParam("Missing params: ['messages']").ToResult();
        if (!messages.IsObject() || messages.EnumerateObject().Any(u => !u.Value.IsObject()))
            return MatrixError.BadJson("'messages' maps user ids to {device id: content}").ToResult();

        var txnKey = ToDeviceTransaction.Key(sender.UserId, sender.DeviceId, txnId);
        var now = clock.GetUtcNow();
        // Under the append lock, so a concurrent retry waits here and then sees this transaction.
        await SyncLog.BeginAsync(session, ct);
        if (await session.LoadAsync<ToDeviceTransaction>(txnKey, ct) is not null) return TypedResults.Ok(new { });
        session.Insert(new ToDeviceTransaction(txnKey, now));

        // Remote users cannot be reached without federation; unknown local users and devices are ignored (spec).
        var users = messages.EnumerateObject().Select(u => u.Name)
            .Where(u => MatrixIds.TryParseUserId(u, out _, out var server) && server == matrix.Value.ServerName)
            .ToArray();
        var devicesByUser = (await session.Query<UserDevice>().Where(d => d.UserId.IsOneOf(users)).ToListAsync(ct))
            .ToLookup(d => d.UserId, d => d.DeviceId);
        foreach (var userId in users)
        {
            var known = devicesByUser[userId].ToHashSet();
            var targets = new Dictionary<string, string>();
            foreach (var message in messages.GetProperty(userId).EnumerateObject())
            {
                if (message.Name == "*")
                    foreach (var deviceId in known) targets.TryAdd(deviceId, message.Value.GetRawText());
                else if (known.Contains(message.Name))
                    targets[message.Name] = message.Value.GetRawText(); // an explicit device wins over "*"
            }
            foreach (var (deviceId, content) in targets)
                session.Events.Append(SyncStreams.ToDevice(userId, deviceId),
                    new ToDeviceMessage(sender.UserId, eventType, content, userId, deviceId, txnKey, now));
        }
        await session.SaveChangesAsync(ct);
        return TypedResults.Ok(new { });
    }
}
