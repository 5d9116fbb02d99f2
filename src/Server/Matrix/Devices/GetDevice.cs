namespace WalkieTalkie.Server.Matrix.Devices;

/// <summary>GET /devices/{deviceId}: one device of the caller; 404 M_NOT_FOUND for any other.</summary>
public static class GetDevice
{
    public static void MapGetDevice(this RouteGroupBuilder v3) =>
        v3.MapGet("/devices/{deviceId}", async Task<Results<Ok<DevicesModule.Device>, JsonHttpResult<MatrixError>>> (string deviceId, HttpContext http, IQuerySession session,
            DeviceActivity activity, CancellationToken ct) =>
        {
            var device = await session.LoadAsync<UserDevice>(UserDevice.Key(http.Device().UserId, deviceId), ct);
            return device is null
                ? MatrixError.NotFound("Device not found").ToTypedResult()
                : TypedResults.Ok(activity.Current(device).ToDevice());
        }).RequireAccessToken();
}
