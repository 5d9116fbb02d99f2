using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie.Config;

/// <summary>
/// Rejects unusable <c>org.matrix.msc4002.walkie_talkie</c> content (M_BAD_JSON), and keeps server recording out of
/// encrypted rooms in both directions: the config cannot ask for it there, and encryption cannot be switched on under
/// it (ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED). Who may send the config is the power levels' business (RoomAuth).
/// </summary>
public sealed class WalkieConfigValidator : IStateEventValidator
{
    public MatrixError? Validate(RoomState room, string type, string stateKey, JsonObject content)
    {
        if (type == WalkieConfig.EventType)
        {
            if (!WalkieConfig.TryParse(content, out var config, out var error))
                return MatrixError.BadJson($"Invalid {WalkieConfig.EventType}: {error}");
            if (config.Recording == RecordingMode.Server && room.IsEncrypted)
                return WalkieErrors.RecordingEncrypted(
                    "recording: \"server\" is not possible in an encrypted room: the server cannot decrypt the audio. Use \"client\".");
            if (config.FloorHost is { } host && !FloorHost.HasJoinedMember(room, host))
                return MatrixError.InvalidParam($"floor_host {host} has no joined member in this room: the floor host must be a server in the room");
            return null;
        }

        if (type == EventTypes.Encryption && stateKey == ""
            && room.Content(WalkieConfig.EventType, "") is { } current
            && WalkieConfig.TryParse(current, out var existing, out _) && existing.Recording == RecordingMode.Server)
            return WalkieErrors.RecordingEncrypted(
                "This room records walkie-talkie bursts on the server (recording: \"server\"); set recording to \"client\" or \"off\" before enabling encryption.");

        return null;
    }
}
