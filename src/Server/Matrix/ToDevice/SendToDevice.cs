using WalkieTalkie.Server.Federation.Edus;
using WalkieTalkie.Server.Federation.Sending;

namespace WalkieTalkie.Server.Matrix.ToDevice;

/// <summary>PUT /sendToDevice/{eventType}/{txnId}: one ToDeviceMessage per target device, once per transaction id.</summary>
public static class SendToDevice
{
    /// <summary>Room-key shares to many devices are the big ones; Synapse's overall request limit is of this order too.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public static void MapSendToDevice(this RouteGroupBuilder v3) =>
        v3.MapPut("/sendToDevice/{eventType}/{txnId}", Handle).RequireAccessToken();

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> Handle(HttpContext http, string eventType, string txnId, IDocumentSession session,
        IOptions<MatrixOptions> matrix, FederationSender federation, TimeProvider clock, CancellationToken ct)
    {
        var sender = http.Device();
        var body = await MatrixBody.ReadElementAsync(http.Request, MaxBodyBytes);
        if (!body.TryGetProperty("messages", out var messages))
            return MatrixError.MissingParam("Missing params: ['messages']").ToTypedResult();
        if (!messages.IsObject() || messages.EnumerateObject().Any(u => !u.Value.IsObject()))
            return MatrixError.BadJson("'messages' maps user ids to {device id: content}").ToTypedResult();

        var txnKey = ToDeviceTransaction.Key(sender.UserId, sender.DeviceId, txnId);
        var now = clock.GetUtcNow();
        // Under the append lock, so a concurrent retry waits here and then sees this transaction.
        await SyncLog.BeginAsync(session, ct);
        if (await session.LoadAsync<ToDeviceTransaction>(txnKey, ct) is not null) return TypedResults.Ok(EmptyResponse.Instance);
        session.Insert(new ToDeviceTransaction(txnKey, now));

        var users = messages.EnumerateObject().Select(u => u.Name).Where(u => MatrixIds.TryParseUserId(u, out _, out _)).ToArray();
        var local = users.Where(u => MatrixIds.IsLocal(u, matrix.Value.ServerName)).ToArray();
        await ToDeviceDelivery.DeliverAsync(session, sender.UserId, eventType, messages, local, txnKey, now, ct);
        // Users of other servers get theirs through the federation queue, committed with this transaction.
        var destinations = RemoteToDevice.Enqueue(session, federation, sender.UserId, eventType, messages, users.Except(local), txnKey);
        await session.SaveChangesAsync(ct);
        foreach (var destination in destinations) federation.Wake(destination);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
