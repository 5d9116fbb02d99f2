namespace WalkieTalkie.Server.Walkie.Consent;

/// <summary>
/// DELETE $P/rooms/{roomId}/consent → 200 {}. The device stops receiving; if it holds the floor it loses it
/// (<c>consent_revoked</c>), if it is queued it leaves the queue. Idempotent.
/// </summary>
public static class WithdrawConsentEndpoint
{
    public static void MapWithdrawConsent(this RouteGroupBuilder msc4002) =>
        msc4002.MapDelete("/rooms/{roomId}/consent", Handle).RequireRateLimiting(RateLimits.Send);

    static async Task<Ok<EmptyResponse>> Handle(string roomId, HttpContext http, ConsentService consent, CancellationToken ct)
    {
        var device = http.Device();
        await consent.DecideAsync(roomId, device, new WithdrawConsent(roomId, device, WithdrawReason.Withdrawn), fromClient: true, ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
