namespace WalkieTalkie.Server.Matrix.Devices;

/// <summary>GET /devices: every device of the caller.</summary>
public static class GetDevices
{
    public sealed record Response(IReadOnlyList<DevicesModule.Device> Devices);

    public static void MapGetDevices(this RouteGroupBuilder v3) =>
        v3.MapGet("/devices", async (HttpContext http, IQuerySession session, DeviceActivity activity, CancellationToken ct) =>
        {
            var userId = http.Device().UserId;
            var devices = await session.Query<UserDevice>().Where(d => d.UserId == userId).ToListAsync(ct);
            return TypedResults.Ok(new Response(devices.OrderBy(d => d.CreatedAt).Select(d => activity.Current(d).ToDevice()).ToArray()));
        }).RequireAccessToken();
}
