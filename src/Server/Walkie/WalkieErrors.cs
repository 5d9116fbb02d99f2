using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie;

/// <summary>The MSC4002 error codes (<c>ORG.MATRIX.MSC4002_*</c>); everything else is a standard Matrix error.</summary>
public static class WalkieErrors
{
    public const string NotEnabledCode = "ORG.MATRIX.MSC4002_NOT_ENABLED";
    public const string FloorTakenCode = "ORG.MATRIX.MSC4002_FLOOR_TAKEN";
    public const string NoConsentCode = "ORG.MATRIX.MSC4002_NO_CONSENT";
    public const string QueueFullCode = "ORG.MATRIX.MSC4002_QUEUE_FULL";
    public const string RecordingEncryptedCode = "ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED";
    public const string FloorHostUnreachableCode = "ORG.MATRIX.MSC4002_FLOOR_HOST_UNREACHABLE";
    public const string NotFloorHostCode = "ORG.MATRIX.MSC4002_NOT_FLOOR_HOST";

    /// <summary>503: the room's floor is decided by another server, which does not answer; nobody is granted meanwhile.</summary>
    public static MatrixError FloorHostUnreachable(string host) =>
        new(FloorHostUnreachableCode, $"The floor of this room is decided by {host}, which cannot be reached; no one can be granted the floor until it answers or the room changes floor_host")
        { Status = StatusCodes.Status503ServiceUnavailable };

    /// <summary>409: a server forwarded a floor command to us, but by our view of the room another server decides.</summary>
    public static MatrixError NotFloorHost(string host) =>
        new(NotFloorHostCode, $"This server is not the floor host of the room; by its state {host} is") { Status = StatusCodes.Status409Conflict };

    public static MatrixError NotEnabled() =>
        new(NotEnabledCode, "Walkie-talkie is not enabled in this room (no org.matrix.msc4002.walkie_talkie state, or enabled: false)")
        { Status = StatusCodes.Status403Forbidden };

    public static MatrixError RecordingEncrypted(string error) => new(RecordingEncryptedCode, error);

    /// <summary>A refusal of the floor decider as the Matrix error the client gets (all 403).</summary>
    public static MatrixError Refused(FloorRefused refused) => refused.Refusal switch
    {
        FloorRefusal.NoConsent => new(NoConsentCode, refused.Message) { Status = StatusCodes.Status403Forbidden },
        FloorRefusal.UserQueueFull or FloorRefusal.RoomQueueFull => new(QueueFullCode, refused.Message) { Status = StatusCodes.Status403Forbidden },
        FloorRefusal.EmergencyNotAllowed or FloorRefusal.NotModerator => MatrixError.Forbidden(refused.Message),
        _ => throw new ArgumentOutOfRangeException(nameof(refused), refused.Refusal, null),
    };

    /// <summary>409 with the holder beside errcode/error, so the client can show who is talking.</summary>
    public static JsonHttpResult<FloorTakenError> FloorTaken(DeviceRef holder) =>
        TypedResults.Json(new FloorTakenError(FloorTakenCode, $"The floor is taken by {holder.UserId}", holder),
            statusCode: StatusCodes.Status409Conflict);
}
