namespace WalkieTalkie.Server.Federation;

/// <summary>The errors of the server-server API that the client-server API does not have.</summary>
public static class FederationErrors
{
    /// <summary>Unsigned, badly signed, or meant for another server (spec: Request Authentication).</summary>
    public static MatrixError Unauthorized(string error) => new("M_UNAUTHORIZED", error) { Status = 401 };

    /// <summary>400 M_INCOMPATIBLE_ROOM_VERSION with the version beside errcode/error (make_join, invite).</summary>
    public static MatrixError IncompatibleRoomVersion(string error, string roomVersion) =>
        new("M_INCOMPATIBLE_ROOM_VERSION", error) { RoomVersion = roomVersion };
}

/// <summary>A peer answered with an error (or not at all); carries the status and its Matrix error when it sent one.</summary>
public sealed class FederationException(string destination, int status, MatrixError? error, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Destination { get; } = destination;
    /// <summary>The HTTP status the peer answered; 0 when it could not be reached.</summary>
    public int Status { get; } = status;
    public MatrixError? Error { get; } = error;
}
