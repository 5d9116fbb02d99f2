using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>
/// The room events of a server recording (docs/msc4002.md §9): the voice message of a burst, the root notice of its
/// session and the root's edits. Voice messages are what any client or bridge shows for <c>m.audio</c> (plus MSC1767
/// extensible-event and MSC3245 voice keys); the thread relation carries the reply fallback for clients without threads.
/// </summary>
public static class RecordingContent
{
    public const string Body = "Voice message";
    public const string BurstKey = "org.matrix.msc4002.burst";
    public const string SessionKey = "org.matrix.msc4002.session";

    public static JsonObject VoiceMessage(BurstSummary burst, OggRecording recording, string mediaUri, string fileName,
        string rootEventId, string replyToEventId) => new()
    {
        ["msgtype"] = "m.audio",
        ["body"] = Body,
        ["url"] = mediaUri,
        ["info"] = new JsonObject
        {
            ["duration"] = recording.DurationMs,
            ["mimetype"] = OggRecording.MimeType,
            ["size"] = recording.Bytes.Length,
        },
        ["org.matrix.msc1767.text"] = Body,
        ["org.matrix.msc1767.file"] = new JsonObject
        {
            ["url"] = mediaUri,
            ["name"] = fileName,
            ["mimetype"] = OggRecording.MimeType,
            ["size"] = recording.Bytes.Length,
        },
        ["org.matrix.msc1767.audio"] = new JsonObject
        {
            ["duration"] = recording.DurationMs,
            ["waveform"] = new JsonArray([.. recording.Waveform.Select(v => (JsonNode)JsonValue.Create(v))]),
        },
        ["org.matrix.msc3245.voice"] = new JsonObject(),
        [BurstKey] = new JsonObject
        {
            ["epoch"] = burst.Epoch,
            ["started_ts"] = burst.StartedAt.ToUnixTimeMilliseconds(),
            ["device_id"] = burst.Speaker.DeviceId,
        },
        ["m.relates_to"] = new JsonObject
        {
            ["rel_type"] = "m.thread",
            ["event_id"] = rootEventId,
            ["is_falling_back"] = true,
            ["m.in_reply_to"] = new JsonObject { ["event_id"] = replyToEventId },
        },
    };

    /// <summary>The root of a session as it is first sent.</summary>
    public static JsonObject Root(WalkieSession session) => Notice(session);

    /// <summary>An <c>m.replace</c> edit that makes the root tell the session as it is now.</summary>
    public static JsonObject RootEdit(WalkieSession session)
    {
        var edit = Notice(session);
        edit["body"] = "* " + session.Summary();
        edit.Remove(SessionKey);
        edit["m.new_content"] = Notice(session);
        edit["m.relates_to"] = new JsonObject { ["rel_type"] = "m.replace", ["event_id"] = session.RootEventId };
        return edit;
    }

    static JsonObject Notice(WalkieSession session) => new()
    {
        ["msgtype"] = "m.notice",
        ["body"] = session.Summary(),
        [SessionKey] = new JsonObject
        {
            ["started_ts"] = session.StartedAt.ToUnixTimeMilliseconds(),
            ["duration"] = session.DurationMs,
            ["bursts"] = session.Bursts,
            ["speakers"] = new JsonArray([.. session.Speakers.Select(s => (JsonNode)new JsonObject
            {
                ["user_id"] = s.UserId,
                ["duration"] = s.DurationMs,
                ["bursts"] = s.Bursts,
            })]),
        },
    };
}
