using WalkieTalkie.Server.Matrix.Devices;

namespace WalkieTalkie.Server.Infrastructure.Auth;

/// <summary>Marks an endpoint as needing an access token; <see cref="MatrixAuth.UseMatrixAuth"/> enforces it.</summary>
public sealed class AccessTokenRequired
{
    public static readonly AccessTokenRequired Instance = new();
}

/// <summary>
/// Resolves the access token to the caller's device before the endpoint binds or reads anything. The token comes in
/// the Authorization header; `?access_token=` (deprecated in Matrix) only on a WebSocket upgrade, where browsers
/// cannot set headers.
/// </summary>
public static class MatrixAuth
{
    const string DeviceKey = "matrix.device";

    public static TBuilder RequireAccessToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AccessTokenRequired.Instance);

    public static WebApplication UseMatrixAuth(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<AccessTokenRequired>() is null)
            {
                await next(http);
                return;
            }
            var token = ReadToken(http.Request);
            if (token is null)
            {
                await WriteAsync(http, MatrixError.MissingToken());
                return;
            }
            var session = http.RequestServices.GetRequiredService<IQuerySession>();
            var stored = await session.LoadAsync<AccessToken>(AccessTokens.Hash(token), http.RequestAborted);
            if (stored is null)
            {
                await WriteAsync(http, MatrixError.UnknownToken());
                return;
            }
            var device = new DeviceRef(stored.UserId, stored.DeviceId);
            http.Items[DeviceKey] = device;
            http.RequestServices.GetService<DeviceActivity>()?.Seen(device, http.Connection.RemoteIpAddress);
            await next(http);
        });
        return app;
    }

    static async Task WriteAsync(HttpContext http, MatrixError error)
    {
        http.Response.StatusCode = error.Status;
        await http.Response.WriteAsJsonAsync(error, http.RequestAborted);
    }

    /// <summary>The authenticated device; only valid behind <see cref="RequireAccessToken{TBuilder}"/>.</summary>
    public static DeviceRef Device(this HttpContext http) =>
        http.Items[DeviceKey] as DeviceRef ?? throw new InvalidOperationException("endpoint is missing RequireAccessToken()");

    public static string? ReadToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim() is { Length: > 0 } t ? t : null;
        if (!request.HttpContext.WebSockets.IsWebSocketRequest) return null;
        return request.Query["access_token"].FirstOrDefault() is { Length: > 0 } query ? query : null;
    }
}
