namespace WalkieTalkie.Server.Matrix.ToDevice;

/// <summary>Puts to-device messages in the inboxes of local devices; shared by /sendToDevice and the federation's m.direct_to_device.</summary>
public static class ToDeviceDelivery
{
    /// <summary>
    /// Only inside <see cref="SyncLog.BeginAsync"/>. <paramref name="messages"/> maps user id → {device id or "*": content};
    /// unknown users and devices are ignored (spec).
    /// </summary>
    public static async Task DeliverAsync(IDocumentSession session, string sender, string eventType, JsonElement messages,
        IReadOnlyCollection<string> localUsers, string txnKey, DateTimeOffset now, CancellationToken ct)
    {
        var users = localUsers.ToArray();
        var devicesByUser = (await session.Query<UserDevice>().Where(d => d.UserId.IsOneOf(users)).ToListAsync(ct))
            .ToLookup(d => d.UserId, d => d.DeviceId);
        foreach (var userId in users)
        {
            if (!messages.TryGetProperty(userId, out var forUser) || forUser.ValueKind != JsonValueKind.Object) continue;
            var known = devicesByUser[userId].ToHashSet();
            var targets = new Dictionary<string, string>();
            foreach (var message in forUser.EnumerateObject())
            {
                if (message.Name == "*")
                    foreach (var deviceId in known) targets.TryAdd(deviceId, message.Value.GetRawText());
                else if (known.Contains(message.Name))
                    targets[message.Name] = message.Value.GetRawText(); // an explicit device wins over "*"
            }
            foreach (var (deviceId, content) in targets)
                session.Events.Append(SyncStreams.ToDevice(userId, deviceId),
                    new ToDeviceMessage(sender, eventType, content, userId, deviceId, txnKey, now));
        }
    }
}
