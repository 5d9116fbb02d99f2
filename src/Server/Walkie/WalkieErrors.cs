using WalkieTalkie.Protocol;
using WalkieTalkie.Server.Walkie.Floor;

namespace WalkieTalkie.Server.Walkie;

/// <summary>The MSC4002 errors as the server answers them (codes: <see cref="WalkieErrorCodes"/>); everything else is a standard Matrix error.</summary>
public static class WalkieErrors
{
    /// <summary>503: the room's floor is decided by another server, which does not answer; nobody is granted meanwhile.</summary>
    public static MatrixError FloorHostUnreachable(string host) =>
        new(WalkieErrorCodes.FloorHostUnreachable, $"The floor of this room is decided by {host}, which cannot be reached; no one can be granted the floor until it answers or the room changes floor_host")
        { Status = StatusCodes.Status503ServiceUnavailable };

    /// <summary>409: a server forwarded a floor command to us, but by our view of the room another server decides.</summary>
    public static MatrixError NotFloorHost(string host) =>
        new(WalkieErrorCodes.NotFloorHost, $"This server is not the floor host of the room; by its state {host} is") { Status = StatusCodes.Status409Conflict };

    public static MatrixError NotEnabled() =>
        new(WalkieErrorCodes.NotEnabled, "Walkie-talkie is not enabled in this room (no org.matrix.msc4002.walkie_talkie state, or enabled: false)")
        { Status = StatusCodes.Status403Forbidden };

    public static MatrixError RecordingEncrypted(string error) => new(WalkieErrorCodes.RecordingEncrypted, error);

    /// <summary>A refusal of the floor decider as the Matrix error the client gets (all 403).</summary>
    public static MatrixError Refused(FloorRefused refused) => refused.Refusal switch
    {
        FloorRefusal.NoConsent => new(WalkieErrorCodes.NoConsent, refused.Message) { Status = StatusCodes.Status403Forbidden },
        FloorRefusal.UserQueueFull or FloorRefusal.RoomQueueFull => new(WalkieErrorCodes.QueueFull, refused.Message) { Status = StatusCodes.Status403Forbidden },
        FloorRefusal.EmergencyNotAllowed or FloorRefusal.NotModerator => MatrixError.Forbidden(refused.Message),
        _ => throw new ArgumentOutOfRangeException(nameof(refused), refused.Refusal, null),
    };

    /// <summary>409 with the holder beside errcode/error, so the client can show who is talking.</summary>
    public static JsonHttpResult<FloorTakenError> FloorTaken(DeviceRef holder) =>
        TypedResults.Json(new FloorTakenError(WalkieErrorCodes.FloorTaken, $"The floor is taken by {holder.UserId}", holder),
            statusCode: StatusCodes.Status409Conflict);
}
