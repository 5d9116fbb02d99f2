namespace WalkieTalkie.Server.Infrastructure;

/// <summary>
/// Path and query values reach ids and jsonb documents: one containing U+0000 (or an unpaired surrogate) is refused
/// here, for every endpoint, with 400 M_INVALID_PARAM before anything stores or looks it up.
/// </summary>
public static class RequestValues
{
    public static WebApplication UseStorableRequestValues(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (Unstorable(http.Request) is { } where)
            {
                var error = MatrixError.InvalidParam($"The {where} holds U+0000 or an unpaired surrogate");
                http.Response.StatusCode = error.Status;
                await http.Response.WriteAsJsonAsync(error, http.RequestAborted);
                return;
            }
            await next(http);
        });
        return app;
    }

    static string? Unstorable(HttpRequest request)
    {
        if (request.Path.Value is { } path && !MatrixBody.IsStorable(path)) return "path";
        if (!request.QueryString.HasValue) return null;
        foreach (var (key, values) in request.Query)
        {
            if (!MatrixBody.IsStorable(key)) return "query";
            foreach (var value in values)
                if (value is not null && !MatrixBody.IsStorable(value)) return $"query parameter `{key}`";
        }
        return null;
    }
}
