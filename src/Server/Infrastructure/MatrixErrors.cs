using System.Text.Json;
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
            MatrixError? error = response.StatusCode switch
            {
                404 => MatrixError.Unrecognized("Unrecognized request"),
                405 => MatrixError.Unrecognized("Method not allowed for this endpoint", 405),
                // A body that is not declared as JSON cannot be JSON to us.
                415 => MatrixError.NotJson("Content-Type must be application/json"),
                _ => null,
            };
            if (error is null) return;
            response.StatusCode = error.Status;
            await response.WriteAsJsonAsync(error);
        });
        return app;
    }
}

sealed class MatrixExceptionHandler(ILogger<MatrixExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var error = exception switch
        {
            MatrixException m => m.MatrixError,
            // Valid JSON of the wrong shape is M_BAD_JSON; anything unparsable is M_NOT_JSON.
            BadHttpRequestException { InnerException: JsonException j } when j.Message.Contains("could not be converted") =>
                MatrixError.BadJson("JSON of the wrong shape: " + j.Path),
            BadHttpRequestException { InnerException: JsonException } => MatrixError.NotJson("Content not JSON."),
            BadHttpRequestException b when b.Message.Contains("JSON", StringComparison.OrdinalIgnoreCase) => MatrixError.NotJson("Content not JSON."),
            BadHttpRequestException b when b.StatusCode == 413 => MatrixError.TooLarge("Request body too large"),
            BadHttpRequestException b => MatrixError.BadJson(b.Message) with { Status = b.StatusCode },
            JsonException => MatrixError.NotJson("Content not JSON."),
            _ => null,
        };
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
