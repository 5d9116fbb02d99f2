using Marten;
using WalkieTalkie.Server.Matrix.Devices;
using WalkieTalkie.Server.Walkie;

namespace WalkieTalkie.Server.Infrastructure.Auth;

/// <summary>Resolves the access token (header, or `access_token` query for browsers) to the caller's device.</summary>
public static class MatrixAuth
{
    const string DeviceKey = "matrix.device";

    public static TBuilder RequireAccessToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var token = ReadToken(ctx.HttpContext.Request);
            if (token is null) return MatrixError.MissingToken().ToResult();
            var session = ctx.HttpContext.RequestServices.GetRequiredService<IQuerySession>();
            var stored = await session.LoadAsync<AccessToken>(AccessTokens.Hash(token), ctx.HttpContext.RequestAborted);
            if (stored is null) return MatrixError.UnknownToken().ToResult();
            var device = new DeviceRef(stored.UserId, stored.DeviceId);
            ctx.HttpContext.Items[DeviceKey] = device;
            ctx.HttpContext.RequestServices.GetService<DeviceActivity>()?.Seen(device, ctx.HttpContext.Connection.RemoteIpAddress);
            return await next(ctx);
        });

    /// <summary>The authenticated device; only valid behind <see cref="RequireAccessToken{TBuilder}"/>.</summary>
    public static DeviceRef Device(this HttpContext http) =>
        http.Items[DeviceKey] as DeviceRef ?? throw new InvalidOperationException("endpoint is missing RequireAccessToken()");

    public static string? ReadToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        return request.Query["access_token"].FirstOrDefault() is { Length: > 0 } query ? query : null;
    }
}
