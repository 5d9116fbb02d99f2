namespace WalkieTalkie.Server.Walkie.Consent;

/// <summary>200 <c>{"device_id", "expires_ts": ms | null}</c>; null (written, not omitted) = permanent.</summary>
public sealed record ConsentResponse(
    [property: JsonPropertyName("device_id")] string DeviceId,
    [property: JsonPropertyName("expires_ts"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? ExpiresTs);

/// <summary>
/// PUT $P/rooms/{roomId}/consent {"duration_ms": 3600000} or {} (permanent) → 200 {"device_id", "expires_ts": ms | null}.
/// The access token's device consents to receive (and so may broadcast); a new PUT renews or replaces.
/// </summary>
public static class GiveConsentEndpoint
{
    public static void MapGiveConsent(this RouteGroupBuilder msc4002) =>
        msc4002.MapPut("/rooms/{roomId}/consent", Handle).RequireRateLimiting(RateLimits.Send);

    static async Task<Ok<ConsentResponse>> Handle(string roomId, HttpContext http, ConsentService consent, CancellationToken ct)
    {
        var device = http.Device();
        var duration = ParseDuration(await MatrixBody.ReadObjectAsync(http.Request));
        var decision = await consent.DecideAsync(roomId, device, new GiveConsent(roomId, device, duration), fromClient: true, ct);
        var active = (Consent.Active)decision.After;
        return TypedResults.Ok(new ConsentResponse(device.DeviceId, active.ExpiresAt?.ToUnixTimeMilliseconds()));
    }

    /// <summary>Absent or null: permanent. Otherwise an integer number of milliseconds in (0, 30 days].</summary>
    static TimeSpan? ParseDuration(JsonObject body)
    {
        if (!body.TryGetPropertyValue("duration_ms", out var node) || node is null) return null;
        if (node is not JsonValue v || !v.TryGetValue<long>(out var ms))
            throw new MatrixException(MatrixError.InvalidParam("`duration_ms` must be an integer number of milliseconds"));
        if (ms <= 0 || ms > (long)ConsentDecider.MaxDuration.TotalMilliseconds)
            throw new MatrixException(MatrixError.InvalidParam(
                $"`duration_ms` must be between 1 and {(long)ConsentDecider.MaxDuration.TotalMilliseconds}; omit it for permanent consent"));
        return TimeSpan.FromMilliseconds(ms);
    }
}
