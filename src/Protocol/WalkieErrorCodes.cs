namespace WalkieTalkie.Protocol;

/// <summary>
/// The MSC4002 error codes (<c>ORG.MATRIX.MSC4002_*</c>), in HTTP errors and the stream's <c>errcode</c> alike; the server
/// answers them and the client reacts to them. Everything else is a standard Matrix error (<see cref="ProtocolErrors"/>).
/// </summary>
public static class WalkieErrorCodes
{
    public const string NotEnabled = "ORG.MATRIX.MSC4002_NOT_ENABLED";
    public const string FloorTaken = "ORG.MATRIX.MSC4002_FLOOR_TAKEN";
    public const string NoConsent = "ORG.MATRIX.MSC4002_NO_CONSENT";
    public const string QueueFull = "ORG.MATRIX.MSC4002_QUEUE_FULL";
    public const string RecordingEncrypted = "ORG.MATRIX.MSC4002_RECORDING_ENCRYPTED";
    public const string FloorHostUnreachable = "ORG.MATRIX.MSC4002_FLOOR_HOST_UNREACHABLE";
    public const string NotFloorHost = "ORG.MATRIX.MSC4002_NOT_FLOOR_HOST";
}
