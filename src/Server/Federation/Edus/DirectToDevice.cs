using System.Security.Cryptography;
using System.Text;
using WalkieTalkie.Server.Federation.Receiving;
using WalkieTalkie.Server.Federation.Sending;
using WalkieTalkie.Server.Matrix.ToDevice;

namespace WalkieTalkie.Server.Federation.Edus;

/// <summary>`m.direct_to_device` out: one EDU per destination server carrying the messages of its users.</summary>
public static class RemoteToDevice
{
    public const string EduType = "m.direct_to_device";

    /// <summary>Stores the EDUs in <paramref name="session"/>; returns the destinations to wake after it commits.</summary>
    public static IReadOnlyList<string> Enqueue(IDocumentSession session, FederationSender federation, string sender, string eventType,
        JsonElement messages, IEnumerable<string> remoteUsers, string txnKey)
    {
        var byServer = remoteUsers.GroupBy(u => u[(u.IndexOf(':') + 1)..], StringComparer.OrdinalIgnoreCase);
        var destinations = new List<string>();
        foreach (var server in byServer)
        {
            var forServer = new JsonObject();
            foreach (var user in server) forServer[user] = JsonNode.Parse(messages.GetProperty(user).GetRawText());
            federation.EnqueueEdu(session, server.Key, EduType, new JsonObject
            {
                ["sender"] = sender,
                ["type"] = eventType,
                ["message_id"] = MessageId(txnKey, server.Key),
                ["messages"] = forServer,
            });
            destinations.Add(server.Key);
        }
        return destinations;
    }

    /// <summary>At most 32 characters (spec), the same for a retried client transaction.</summary>
    static string MessageId(string txnKey, string destination) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(txnKey + "|" + destination)))[..32];
}

/// <summary>`m.direct_to_device` in: the messages for local devices, once per sender server and message id.</summary>
public sealed class DirectToDeviceEdu(IDocumentStore store, IOptions<MatrixOptions> matrix, TimeProvider clock) : IIncomingEdu
{
    public string EduType => RemoteToDevice.EduType;

    public async Task HandleAsync(string origin, JsonObject content, CancellationToken ct)
    {
        var sender = content["sender"]?.GetValue<string>();
        var type = content["type"]?.GetValue<string>();
        var messageId = content["message_id"]?.GetValue<string>();
        if (sender is null || type is null || messageId is null || content["messages"] is not JsonObject messages) return;
        // A server speaks only for its own users.
        if (!MatrixIds.TryParseUserId(sender, out _, out var senderServer) || senderServer != origin) return;
        var local = messages.Select(m => m.Key).Where(u => MatrixIds.IsLocal(u, matrix.Value.ServerName)).ToArray();
        var txnKey = $"federation|{origin}|{messageId}";
        await using var session = store.LightweightSession();
        await SyncLog.BeginAsync(session, ct);
        if (await session.LoadAsync<ToDeviceTransaction>(txnKey, ct) is not null) return;
        var now = clock.GetUtcNow();
        session.Insert(new ToDeviceTransaction(txnKey, now));
        await ToDeviceDelivery.DeliverAsync(session, sender, type, JsonSerializer.SerializeToElement(messages), local, txnKey, now, ct);
        await session.SaveChangesAsync(ct);
    }
}
