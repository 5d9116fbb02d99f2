namespace WalkieTalkie.Protocol;

/// <summary>The Matrix error codes the stream answers malformed control messages with.</summary>
public static class ProtocolErrors
{
    public const string NotJson = "M_NOT_JSON";
    public const string BadJson = "M_BAD_JSON";
    public const string InvalidParam = "M_INVALID_PARAM";
    public const string Unrecognized = "M_UNRECOGNIZED";
    public const string Unknown = "M_UNKNOWN";
    public const string LimitExceeded = "M_LIMIT_EXCEEDED";
    public const string TooLarge = "M_TOO_LARGE";
}

/// <summary>
/// A control message this protocol cannot read: the Matrix error to answer it with, and what could still be read of it
/// (its <c>type</c> and <c>room_id</c>, so a bad <c>floor.request</c> can be answered with <c>floor.denied</c>).
/// </summary>
public sealed class ControlMessageException(string errcode, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Errcode { get; } = errcode;
    public string? Type { get; init; }
    public string? RoomId { get; init; }
}
