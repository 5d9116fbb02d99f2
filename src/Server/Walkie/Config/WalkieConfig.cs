using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Config;

public enum RecordingMode { Client, Server, Off }

public static class RecordingModes
{
    public static string ToWire(this RecordingMode mode) => mode switch
    {
        RecordingMode.Client => "client",
        RecordingMode.Server => "server",
        RecordingMode.Off => "off",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };
}

/// <summary>
/// The room's <c>org.matrix.msc4002.walkie_talkie</c> state (state_key ""). Absent fields take the defaults below;
/// a room without the event, or with <c>enabled: false</c>, has walkie-talkie off.
/// </summary>
public sealed record WalkieConfig(
    bool Enabled, long MaxTalkMs, long EndOfMediaMs, bool Queue, long PreemptPowerLevel, RecordingMode Recording, long SessionGapMs,
    long EmergencyPowerLevel = 100, long MaxQueuePerUser = 3, long MaxQueue = 50, string? FloorHost = null)
{
    public const string EventType = "org.matrix.msc4002.walkie_talkie";

    /// <summary>Longest accepted duration field (a day): beyond that a "timer" is a configuration mistake.</summary>
    public const long MaxDurationMs = 86_400_000;

    /// <summary>Largest accepted queue cap: a floor queue longer than this is not a conversation.</summary>
    public const long MaxQueueCap = 1_000;

    public static WalkieConfig Default { get; } = new(true, 30_000, 4_000, true, 50, RecordingMode.Client, 600_000);

    public FloorSettings FloorSettings => new(Queue, Level(PreemptPowerLevel),
        TimeSpan.FromMilliseconds(MaxTalkMs), TimeSpan.FromMilliseconds(EndOfMediaMs), Level(EmergencyPowerLevel), (int)MaxQueuePerUser, (int)MaxQueue);

    static int Level(long level) => (int)Math.Clamp(level, int.MinValue, int.MaxValue);

    /// <summary>The server cannot record what it cannot decrypt: in an encrypted room "server" acts as "client".</summary>
    public RecordingMode EffectiveRecording(bool encrypted) =>
        encrypted && Recording == RecordingMode.Server ? RecordingMode.Client : Recording;

    /// <summary>The configuration of a room, or null when walkie-talkie is off there (no event, disabled, unreadable).</summary>
    public static WalkieConfig? Of(RoomState room) =>
        room.Content(EventType, "") is { } content && TryParse(content, out var config, out _) && config.Enabled ? config : null;

    /// <summary>Strict parse: every present field must have its type and range; unknown fields are ignored.</summary>
    public static bool TryParse(JsonObject content, out WalkieConfig config, out string error)
    {
        config = Default;
        error = "";
        var d = Default;
        if (!Bool(content, "enabled", d.Enabled, out var enabled, ref error)
            || !Duration(content, "max_talk_ms", d.MaxTalkMs, out var maxTalk, ref error)
            || !Duration(content, "end_of_media_ms", d.EndOfMediaMs, out var endOfMedia, ref error)
            || !Bool(content, "queue", d.Queue, out var queue, ref error)
            || !Integer(content, "preempt_power_level", d.PreemptPowerLevel, out var preempt, ref error)
            || !ParseRecording(content, d.Recording, out var recording, ref error)
            || !Duration(content, "session_gap_ms", d.SessionGapMs, out var sessionGap, ref error)
            || !Integer(content, "emergency_power_level", d.EmergencyPowerLevel, out var emergency, ref error)
            || !Count(content, "max_queue_per_user", d.MaxQueuePerUser, out var perUser, ref error)
            || !Count(content, "max_queue", d.MaxQueue, out var maxQueue, ref error)
            || !ServerName(content, "floor_host", out var floorHost, ref error))
            return false;
        config = new(enabled, maxTalk, endOfMedia, queue, preempt, recording, sessionGap, emergency, perUser, maxQueue, floorHost);
        return true;
    }

    static bool Bool(JsonObject o, string key, bool fallback, out bool value, ref string error) =>
        Value(o, key, fallback, out value, "a boolean", ref error);

    static bool Integer(JsonObject o, string key, long fallback, out long value, ref string error) =>
        Value(o, key, fallback, out value, "an integer", ref error);

    /// <summary>An absent member takes the fallback; one of another JSON type is the error.</summary>
    static bool Value<T>(JsonObject o, string key, T fallback, out T value, string what, ref string error) where T : struct
    {
        value = fallback;
        if (!o.TryGetPropertyValue(key, out var node)) return true;
        if (node is JsonValue v && v.TryGetValue(out value)) return true;
        error = $"`{key}` must be {what}";
        return false;
    }

    static bool Duration(JsonObject o, string key, long fallback, out long value, ref string error)
    {
        if (!Integer(o, key, fallback, out value, ref error)) return false;
        if (value is > 0 and <= MaxDurationMs) return true;
        error = $"`{key}` must be between 1 and {MaxDurationMs} milliseconds, not {value}";
        return false;
    }

    static bool Count(JsonObject o, string key, long fallback, out long value, ref string error)
    {
        if (!Integer(o, key, fallback, out value, ref error)) return false;
        if (value is > 0 and <= MaxQueueCap) return true;
        error = $"`{key}` must be between 1 and {MaxQueueCap}, not {value}";
        return false;
    }

    /// <summary>An optional server name (host, optionally :port): no whitespace, slashes or '@'.</summary>
    static bool ServerName(JsonObject o, string key, out string? value, ref string error)
    {
        value = null;
        if (!o.TryGetPropertyValue(key, out var node) || node is null) return true;
        if (node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length is > 0 and <= 255
            && !s.Any(c => char.IsWhiteSpace(c) || c is '/' or '@' or '!' or '#'))
        {
            value = s;
            return true;
        }
        error = $"`{key}` must be a server name";
        return false;
    }

    static bool ParseRecording(JsonObject o, RecordingMode fallback, out RecordingMode value, ref string error)
    {
        value = fallback;
        if (!o.TryGetPropertyValue("recording", out var node)) return true;
        if (node is JsonValue v && v.TryGetValue<string>(out var s))
        {
            switch (s)
            {
                case "client": value = RecordingMode.Client; return true;
                case "server": value = RecordingMode.Server; return true;
                case "off": value = RecordingMode.Off; return true;
            }
        }
        error = "`recording` must be \"client\", \"server\" or \"off\"";
        return false;
    }
}
