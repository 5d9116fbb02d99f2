namespace WalkieTalkie.Server.Matrix.Devices;

/// <summary>Spec module "Device Management": list, read, rename and delete (UIA m.login.password) devices.</summary>
public static class DevicesModule
{
    public static IServiceCollection AddDevices(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DeviceActivityOptions>(configuration.GetSection(DeviceActivityOptions.Section));
        services.AddSingleton<DeviceActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<DeviceActivity>());
        return services;
    }

    public static void MapDevices(this RouteGroupBuilder v3)
    {
        v3.MapGetDevices();
        v3.MapGetDevice();
        v3.MapUpdateDevice();
        v3.MapDeleteDevice();
        v3.MapDeleteDevices();
    }

    /// <summary>The spec's Device object: display name and last-seen fields are absent when unknown.</summary>
    public sealed record Device(string DeviceId, string? DisplayName, string? LastSeenIp, long? LastSeenTs);

    internal static Device ToDevice(this UserDevice device) =>
        new(device.DeviceId, device.DisplayName, device.LastSeenIp, device.LastSeenAt?.ToUnixTimeMilliseconds());
}
