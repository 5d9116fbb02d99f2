namespace WalkieTalkie.Client.Talk;

/// <summary>
/// The voice message a burst becomes (MSC4002 "Recordings"): <c>m.audio</c> with MSC1767 audio and waveform, the
/// MSC3245 voice marker and <c>org.matrix.msc4002.burst</c>, so bridges and other clients see a regular voice message.
/// </summary>
public static class VoiceMessage
{
    public const string EventType = "m.room.message";
    public const string MsgType = "m.audio";
    public const string Body = "Voice message";
    public const string MimeType = "audio/ogg";
    public const string AudioKey = "org.matrix.msc1767.audio";
    public const string VoiceKey = "org.matrix.msc3245.voice";
    public const string BurstKey = "org.matrix.msc4002.burst";

    /// <summary>Content for an unencrypted room: the Ogg file as <c>url</c>.</summary>
    public static JsonObject Content(BurstRecording recording, string deviceId, string mxcUrl, string? threadRootEventId = null) =>
        Build(recording, deviceId, "url", JsonValue.Create(mxcUrl), threadRootEventId);

    /// <summary>Content for an encrypted room: the encrypted attachment (with its <c>url</c> set) as <c>file</c>.</summary>
    public static JsonObject Content(BurstRecording recording, string deviceId, EncryptedFile file, string? threadRootEventId = null)
    {
        if (file.Url is null)
            throw new ArgumentException("Upload the ciphertext first: the encrypted file needs its mxc:// url.", nameof(file));
        return Build(recording, deviceId, "file", JsonSerializer.SerializeToNode(file), threadRootEventId);
    }

    private static JsonObject Build(BurstRecording recording, string deviceId, string mediaKey, JsonNode? media, string? threadRootEventId)
    {
        var content = new JsonObject
        {
            ["msgtype"] = MsgType,
            ["body"] = Body,
            [mediaKey] = media,
            ["info"] = new JsonObject
            {
                ["duration"] = recording.DurationMs,
                ["mimetype"] = MimeType,
                ["size"] = recording.Ogg.Length,
            },
            [AudioKey] = new JsonObject
            {
                ["duration"] = recording.DurationMs,
                ["waveform"] = new JsonArray([.. recording.Waveform.Select(v => JsonValue.Create(v))]),
            },
            [VoiceKey] = new JsonObject(),
            [BurstKey] = new JsonObject
            {
                ["epoch"] = recording.Epoch,
                ["started_ts"] = recording.StartedAt.ToUnixTimeMilliseconds(),
                ["device_id"] = deviceId,
            },
        };
        if (threadRootEventId is not null)
            content["m.relates_to"] = new JsonObject { ["rel_type"] = "m.thread", ["event_id"] = threadRootEventId };
        return content;
    }
}

/// <summary>Sends a room event; the default is <see cref="MatrixSession.SendEventAsync"/> (plaintext). An E2EE client passes its Megolm sender.</summary>
public delegate Task<string> RoomEventSender(string roomId, string eventType, JsonObject content, CancellationToken cancellationToken);

/// <summary>Uploads a burst's recording and posts its voice message.</summary>
public sealed class VoiceMessagePublisher(MatrixSession session, RoomEventSender? sendEvent = null)
{
    private readonly RoomEventSender _send = sendEvent ?? ((room, type, content, ct) => session.SendEventAsync(room, type, content, null, ct));

    /// <summary>
    /// Uploads the Ogg file (encrypted with a fresh key when <paramref name="encryptAttachment"/>) and sends the voice
    /// message; returns its event ID. The attachment's key sits in the event, so in an E2EE room the event must go
    /// through an encrypting <see cref="RoomEventSender"/>.
    /// </summary>
    public async Task<string> PublishAsync(string roomId, BurstRecording recording, bool encryptAttachment, string? threadRootEventId = null,
        CancellationToken cancellationToken = default)
    {
        string deviceId = session.Credentials.DeviceId;
        JsonObject content;
        if (encryptAttachment)
        {
            var (ciphertext, file) = EncryptedAttachment.Encrypt(recording.Ogg);
            string mxc = await session.UploadAsync(ciphertext, "application/octet-stream", null, cancellationToken);
            content = VoiceMessage.Content(recording, deviceId, file with { Url = mxc }, threadRootEventId);
        }
        else
        {
            string mxc = await session.UploadAsync(recording.Ogg, VoiceMessage.MimeType, $"walkie-{recording.Epoch}.ogg", cancellationToken);
            content = VoiceMessage.Content(recording, deviceId, mxc, threadRootEventId);
        }
        return await _send(roomId, VoiceMessage.EventType, content, cancellationToken);
    }
}
