using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace WalkieTalkie.Server.Infrastructure;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Test and benchmark clients create hundreds of users from 127.0.0.1.</summary>
    public bool ExemptLoopback { get; set; } = true;
    public int AuthPerMinute { get; set; } = 30;
    public int SendPerSecond { get; set; } = 20;
    public int SendBurst { get; set; } = 50;
}

/// <summary>Per-IP limits on login/register and per-user (or IP) limits on sends, answered with M_LIMIT_EXCEEDED.</summary>
public static class RateLimits
{
    public const string Auth = "auth";
    public const string Send = "send";

    public static IServiceCollection AddMatrixRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        return services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Auth, http => Exempt(http, options)
                ? RateLimitPartition.GetNoLimiter("loopback")
                : RateLimitPartition.GetTokenBucketLimiter(Ip(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.AuthPerMinute, TokensPerPeriod = options.AuthPerMinute,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1), QueueLimit = 0,
                }));
            limiter.AddPolicy(Send, http => Exempt(http, options)
                ? RateLimitPartition.GetNoLimiter("loopback")
                : RateLimitPartition.GetTokenBucketLimiter(TokenKey(http) ?? Ip(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.SendBurst, TokensPerPeriod = options.SendPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0,
                }));
            limiter.OnRejected = async (ctx, ct) =>
            {
                var retryAfter = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                ctx.HttpContext.Response.StatusCode = 429;
                await ctx.HttpContext.Response.WriteAsJsonAsync(MatrixError.LimitExceeded((long)retryAfter.TotalMilliseconds), ct);
            };
        });
    }

    static bool Exempt(HttpContext http, RateLimitOptions options) =>
        options.ExemptLoopback && http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip);

    static string Ip(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    // The token is hashed only to partition; it is not authenticated here.
    static string? TokenKey(HttpContext http) => MatrixAuth.ReadToken(http.Request) is { } t ? "t:" + AccessTokens.Hash(t) : null;
}
