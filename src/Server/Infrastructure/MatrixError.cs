namespace WalkieTalkie.Server.Infrastructure;

/// <summary>The Matrix standard error response: {"errcode", "error"} with an HTTP status.</summary>
public sealed record MatrixError(
    [property: JsonPropertyName("errcode")] string ErrCode,
    [property: JsonPropertyName("error")] string Error)
{
    [JsonIgnore] public int Status { get; init; } = StatusCodes.Status400BadRequest;

    [JsonPropertyName("retry_after_ms"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RetryAfterMs { get; init; }

    [JsonPropertyName("admin_contact"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AdminContact { get; init; }

    /// <summary>With M_INCOMPATIBLE_ROOM_VERSION: the room's version (spec: make_join, invite v2).</summary>
    [JsonPropertyName("room_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RoomVersion { get; init; }

    /// <summary>For endpoints declaring their answers as <c>Results&lt;Ok&lt;T&gt;, JsonHttpResult&lt;MatrixError&gt;&gt;</c>.</summary>
    public JsonHttpResult<MatrixError> ToTypedResult() => TypedResults.Json(this, statusCode: Status);

    public static MatrixError Unrecognized(string error, int status = 404) => new("M_UNRECOGNIZED", error) { Status = status };
    public static MatrixError NotJson(string error) => new("M_NOT_JSON", error);
    public static MatrixError BadJson(string error) => new("M_BAD_JSON", error);
    public static MatrixError InvalidParam(string error) => new("M_INVALID_PARAM", error);
    public static MatrixError MissingParam(string error) => new("M_MISSING_PARAM", error);
    public static MatrixError Forbidden(string error) => new("M_FORBIDDEN", error) { Status = 403 };
    public static MatrixError NotFound(string error) => new("M_NOT_FOUND", error) { Status = 404 };
    public static MatrixError MissingToken() => new("M_MISSING_TOKEN", "Missing access token") { Status = 401 };
    public static MatrixError UnknownToken() => new("M_UNKNOWN_TOKEN", "Unknown or expired access token") { Status = 401 };
    public static MatrixError TooLarge(string error) => new("M_TOO_LARGE", error) { Status = 413 };
    public static MatrixError LimitExceeded(long retryAfterMs) => new("M_LIMIT_EXCEEDED", "Too many requests") { Status = 429, RetryAfterMs = retryAfterMs };
    /// <summary>The homeserver cannot store what was sent (e.g. disk full): 507, with whom to tell (the spec makes it a MUST).</summary>
    public static MatrixError ResourceLimitExceeded(string error, string adminContact) =>
        new("M_RESOURCE_LIMIT_EXCEEDED", error) { Status = 507, AdminContact = adminContact };
    public static MatrixError Unknown(string error) => new("M_UNKNOWN", error) { Status = 500 };
}

/// <summary>Thrown where returning a result is awkward (deep in request parsing); mapped by the error middleware.</summary>
public sealed class MatrixException(MatrixError error) : Exception(error.Error)
{
    public MatrixError MatrixError { get; } = error;
}
