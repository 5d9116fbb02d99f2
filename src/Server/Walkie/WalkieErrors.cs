using System.Text.Json.Nodes;
using WalkieTalkie.Server.Infrastructure;

namespace WalkieTalkie.Server.Walkie;

/// <summary>The MSC4002 error codes (<c>ORG.MATRIX.MSC4002_*</c>); everything else is a standard Matrix error.</summary>
public static class WalkieErrors
{
    public const string NotEnabledCode = "ORG.MATRIX.MSC4002_NOT_ENABLED";
    public const string FloorTakenCode = "ORG.MATRIX.MSC4002_FLOOR_TAKEN";
    public const string RecordingEncryptedCode = "ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED";

    public static MatrixError NotEnabled() =>
        new(NotEnabledCode, "Walkie-talkie is not enabled in this room (no org.matrix.msc4002.walkie_talkie state, or enabled: false)")
        { Status = StatusCodes.Status403Forbidden };

    public static MatrixError RecordingEncrypted(string error) => new(RecordingEncryptedCode, error);

    /// <summary>409 with the holder beside errcode/error, so the client can show who is talking.</summary>
    public static IResult FloorTaken(DeviceRef holder) => TypedResults.Json(new JsonObject
    {
        ["errcode"] = FloorTakenCode,
        ["error"] = $"The floor is taken by {holder.UserId}",
        ["holder"] = new JsonObject { ["user_id"] = holder.UserId, ["device_id"] = holder.DeviceId },
    }, statusCode: StatusCodes.Status409Conflict);
}
