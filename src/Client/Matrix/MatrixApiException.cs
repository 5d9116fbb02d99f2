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

/// <summary>Standard Matrix error codes a walkie-talkie client reacts to; the MSC4002 ones are <see cref="WalkieErrorCodes"/>.</summary>
public static class MatrixErrorCodes
{
    public const string Forbidden = "M_FORBIDDEN";
    public const string UnknownToken = "M_UNKNOWN_TOKEN";
    public const string NotFound = "M_NOT_FOUND";
    public const string Unknown = "M_UNKNOWN";
}
