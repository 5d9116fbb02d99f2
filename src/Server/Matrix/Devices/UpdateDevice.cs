using Marten.Patching;
using Wolverine;

namespace WalkieTalkie.Server.Matrix.Devices;

public sealed record RenameDevice(DeviceRef Device, string DisplayName);

/// <summary>Published when a device's display name changes: device lists (keys module) react to it.</summary>
public sealed record DeviceRenamed(DeviceRef Device, string DisplayName);

/// <summary>PUT /devices/{deviceId}: rename one of the caller's devices; an absent display_name changes nothing.</summary>
public static class UpdateDevice
{
    public sealed record Request(string? DisplayName) : IMatrixRequest<Request>;

    const int MaxDisplayNameLength = 100;

    public static void MapUpdateDevice(this RouteGroupBuilder v3) =>
        v3.MapPut("/devices/{deviceId}", async Task<Results<Ok<EmptyResponse>, JsonHttpResult<MatrixError>>> (string deviceId, Request body, HttpContext http, IQuerySession session,
            IMessageBus bus, CancellationToken ct) =>
        {
            if (body.DisplayName is { Length: > MaxDisplayNameLength })
                return MatrixError.InvalidParam($"display_name is longer than {MaxDisplayNameLength} characters").ToTypedResult();

            var caller = http.Device();
            if (await session.LoadAsync<UserDevice>(UserDevice.Key(caller.UserId, deviceId), ct) is null)
                return MatrixError.NotFound("Device not found").ToTypedResult();
            if (body.DisplayName is not null)
                await bus.InvokeAsync(new RenameDevice(new DeviceRef(caller.UserId, deviceId), body.DisplayName), ct);
            return TypedResults.Ok(EmptyResponse.Instance);
        }).RequireAccessToken();
}

public static class RenameDeviceHandler
{
    public static async Task<DeviceRenamed?> Handle(RenameDevice command, IDocumentSession session, CancellationToken ct)
    {
        var key = UserDevice.Key(command.Device.UserId, command.Device.DeviceId);
        var device = await session.LoadAsync<UserDevice>(key, ct);
        if (device is null || device.DisplayName == command.DisplayName) return null;
        // A patch, not a store: a deletion committed meanwhile must not be undone.
        session.Patch<UserDevice>(key).Set(d => d.DisplayName, command.DisplayName);
        return new DeviceRenamed(command.Device, command.DisplayName);
    }
}
