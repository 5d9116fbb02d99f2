using Wolverine;

namespace WalkieTalkie.Server.Matrix.Account;

public enum DeviceRemovalReason { LoggedOut, Deleted }

/// <summary>Published when a device is gone: consent, floor and device lists react to it.</summary>
public sealed record DeviceRemoved(DeviceRef Device, DeviceRemovalReason Reason);

public sealed record RemoveDevices(string UserId, IReadOnlyList<string>? DeviceIds, DeviceRemovalReason Reason);

/// <summary>POST /logout and /logout/all: the token and its device go (spec: the device is deleted too).</summary>
public static class Logout
{
    public static void MapLogout(this RouteGroupBuilder v3)
    {
        v3.MapPost("/logout", async (HttpContext http, IMessageBus bus) =>
        {
            var device = http.Device();
            await bus.InvokeAsync(new RemoveDevices(device.UserId, [device.DeviceId], DeviceRemovalReason.LoggedOut));
            return TypedResults.Ok(EmptyResponse.Instance);
        }).RequireAccessToken();

        v3.MapPost("/logout/all", async (HttpContext http, IMessageBus bus) =>
        {
            await bus.InvokeAsync(new RemoveDevices(http.Device().UserId, null, DeviceRemovalReason.LoggedOut));
            return TypedResults.Ok(EmptyResponse.Instance);
        }).RequireAccessToken();
    }
}

public static class RemoveDevicesHandler
{
    /// <summary>Deletes devices and tokens in one transaction; DeviceRemoved goes out through the outbox.</summary>
    public static async Task<OutgoingMessages> Handle(RemoveDevices command, IDocumentSession session, CancellationToken ct)
    {
        var devices = await session.Query<UserDevice>()
            .Where(d => d.UserId == command.UserId)
            .ToListAsync(ct);
        var removed = devices.Where(d => command.DeviceIds is null || command.DeviceIds.Contains(d.DeviceId)).ToList();

        var messages = new OutgoingMessages();
        foreach (var device in removed)
        {
            session.Delete<UserDevice>(device.Id);
            session.DeleteWhere<AccessToken>(t => t.UserId == device.UserId && t.DeviceId == device.DeviceId);
            messages.Add(new DeviceRemoved(new DeviceRef(device.UserId, device.DeviceId), command.Reason));
        }
        return messages;
    }
}
