namespace WalkieTalkie.Server.Matrix.ToDevice;

/// <summary>
/// One send-to-device event for one target device, in stream `todevice:{user}:{device}`; /sync delivers those with a
/// sequence above its `since`. ContentJson is the sender's content as received (Olm payloads pass untouched).
/// </summary>
public sealed record ToDeviceMessage(string Sender, string Type, string ContentJson, string TargetUserId, string TargetDeviceId,
    string TxnKey, DateTimeOffset At);

/// <summary>A sendToDevice transaction already handled (id "user|device|txnId"): a retry delivers nothing twice.</summary>
public sealed record ToDeviceTransaction(string Id, DateTimeOffset At)
{
    public static string Key(string userId, string deviceId, string txnId) => $"{userId}|{deviceId}|{txnId}";
}
