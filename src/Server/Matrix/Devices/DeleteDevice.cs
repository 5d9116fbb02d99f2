using Wolverine;

namespace WalkieTalkie.Server.Matrix.Devices;

/// <summary>
/// DELETE /devices/{deviceId}: after a user-interactive `m.login.password` stage the device and its tokens go
/// (RemoveDevices, reason Deleted). An unknown device answers 200 too (spec: "or had been removed previously").
/// </summary>
public static class DeleteDevice
{
    public sealed record Request(JsonElement? Auth) : IMatrixRequest<Request>
    {
        // Clients send the first, unauthenticated attempt with an empty body or none at all.
        public static bool EmptyIsObject => true;
    }

    public static void MapDeleteDevice(this RouteGroupBuilder v3) =>
        v3.MapDelete("/devices/{deviceId}", Handle).RequireAccessToken().RequireRateLimiting(RateLimits.Auth);

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<UserInteractiveAuth.Challenge>, JsonHttpResult<MatrixError>>> Handle(
        string deviceId, Request body, HttpContext http, IDocumentSession session, IMessageBus bus, TimeProvider clock,
        CancellationToken ct)
    {
        var userId = http.Device().UserId;
        var challenge = await UserInteractiveAuth.ConfirmPasswordAsync(session, userId,
            body.Auth, clock.GetUtcNow(), ct);
        if (challenge is not null) return challenge;

        await bus.InvokeAsync(new RemoveDevices(userId, [deviceId], DeviceRemovalReason.Deleted), ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
