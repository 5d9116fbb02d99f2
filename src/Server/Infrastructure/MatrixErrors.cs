using Microsoft.AspNetCore.Diagnostics;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>Every failure leaves the server as a Matrix error: unknown routes, wrong methods, bad JSON, crashes.</summary>
public static class MatrixErrors
{
    public static IServiceCollection AddMatrixErrors(this IServiceCollection services)
    {
        // Binding failures throw, so the handler below can answer M_NOT_JSON instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<MatrixExceptionHandler>();
        services.AddProblemDetails();
        return services;
    }

    public static WebApplication UseMatrixErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async ctx =>
        {
            var response = ctx.HttpContext.Response;
            if (response.HasStarted || response.ContentLength > 0 || response.ContentType is not null) return;
            if (response.StatusCode < 400) return;
            var error = ForStatus(response.StatusCode);
            response.StatusCode = error.Status;
            await response.WriteAsJsonAsync(error);
        });
        return app;
    }

    /// <summary>The Matrix error for an answer that some layer gave as a bare status code.</summary>
    static MatrixError ForStatus(int status) => status switch
    {
        404 => MatrixError.Unrecognized("Unrecognized request"),
        405 => MatrixError.Unrecognized("Method not allowed for this endpoint", 405),
        // A body that is not declared as JSON cannot be JSON to us.
        415 => MatrixError.NotJson("Content-Type must be application/json"),
        401 => MatrixError.MissingToken(),
        403 => MatrixError.Forbidden("Forbidden"),
        413 => MatrixError.TooLarge("Request too large"),
        503 => DatabaseOutage.Unavailable(),
        < 500 => MatrixError.InvalidParam("Bad request") with { Status = status },
        _ => MatrixError.Unknown("Internal server error") with { Status = status },
    };
}

sealed class MatrixExceptionHandler(ILogger<MatrixExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        // The client went away: nobody reads an answer, and it is not a server fault.
        if (exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested) return true;
        var error = exception switch
        {
            MatrixException m => m.MatrixError,
            _ when DatabaseOutage.IsOutage(exception) => DatabaseOutage.Unavailable(),
            BadHttpRequestException b when b.StatusCode == 413 => MatrixError.TooLarge("Request body too large"),
            // Framework-bound JSON bodies (none in Matrix/, which reads through MatrixBody): wrong shape or unparsable.
            BadHttpRequestException { InnerException: JsonException j } when j.Message.Contains("could not be converted") =>
                MatrixError.BadJson("JSON of the wrong shape: " + j.Path),
            BadHttpRequestException { InnerException: JsonException } => MatrixError.NotJson("Content not JSON."),
            BadHttpRequestException b when b.Message.StartsWith("Required parameter", StringComparison.Ordinal) =>
                MatrixError.MissingParam(b.Message),
            // Query and route values that do not convert (limit=abc) are parameters, not JSON.
            BadHttpRequestException b when b.Message.StartsWith("Failed to bind parameter", StringComparison.Ordinal) =>
                MatrixError.InvalidParam(b.Message),
            BadHttpRequestException b => MatrixError.BadJson(b.Message) with { Status = b.StatusCode },
            JsonException => MatrixError.NotJson("Content not JSON."),
            _ => null,
        };
        if (error is not null && error.Status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning("Database unavailable on {Method} {Path}: {Message}", http.Request.Method, http.Request.Path, exception.Message);
            http.Response.Headers.RetryAfter = DatabaseOutage.RetryAfterSeconds.ToString();
        }
        if (error is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            error = MatrixError.Unknown("Internal server error");
        }
        http.Response.StatusCode = error.Status;
        await http.Response.WriteAsJsonAsync(error, ct);
        return true;
    }
}
