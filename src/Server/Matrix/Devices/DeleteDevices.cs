using Wolverine;

namespace WalkieTalkie.Server.Matrix.Devices;

/// <summary>POST /delete_devices: bulk deletion behind the same `m.login.password` stage as DELETE /devices/{deviceId}.</summary>
public static class DeleteDevices
{
    public sealed record Request(List<string>? Devices, JsonElement? Auth) : IMatrixRequest<Request>;

    public static void MapDeleteDevices(this RouteGroupBuilder v3) =>
        v3.MapPost("/delete_devices", Handle).RequireAccessToken().RequireRateLimiting(RateLimits.Auth);

    static async Task<Results<Ok<EmptyResponse>, JsonHttpResult<UserInteractiveAuth.Challenge>, JsonHttpResult<MatrixError>>> Handle(
        Request body, HttpContext http, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        if (body.Devices is null) return MatrixError.MissingParam("devices is required").ToTypedResult();
        if (body.Devices.Any(string.IsNullOrEmpty)) return MatrixError.InvalidParam("devices holds an empty device id").ToTypedResult();

        var userId = http.Device().UserId;
        var challenge = await UserInteractiveAuth.ConfirmPasswordAsync(session, userId, body.Auth, clock.GetUtcNow(), ct);
        if (challenge is not null) return challenge;

        await bus.InvokeAsync(new RemoveDevices(userId, body.Devices, DeviceRemovalReason.Deleted), ct);
        return TypedResults.Ok(EmptyResponse.Instance);
    }
}
