using System.Net;

namespace WalkieTalkie.Client.Matrix;

/// <summary>A Matrix error response: <c>{"errcode": "...", "error": "..."}</c> with its HTTP status.</summary>
public sealed class MatrixApiException(string errcode, string error, HttpStatusCode status, JsonObject? body = null)
    : Exception($"{(int)status} {errcode}: {error}")
{
    public string Errcode { get; } = errcode;
    public string Error { get; } = error;
    public HttpStatusCode Status { get; } = status;
    /// <summary>The whole error body, for extra fields such as <c>holder</c> or <c>retry_after_ms</c>.</summary>
    public JsonObject? Body { get; } = body;
}

/// <summary>Error codes a walkie-talkie client reacts to.</summary>
public static class MatrixErrorCodes
{
    public const string Forbidden = "M_FORBIDDEN";
    public const string UnknownToken = "M_UNKNOWN_TOKEN";
    public const string NotFound = "M_NOT_FOUND";
    public const string Unknown = "M_UNKNOWN";
    public const string NotEnabled = "ORG.MATRIX.MSC4002_NOT_ENABLED";
    public const string FloorTaken = "ORG.MATRIX.MSC4002_FLOOR_TAKEN";
}
