namespace WalkieTalkie.Server.Matrix.ToDevice;

/// <summary>Spec module "Send-to-Device messaging".</summary>
public static class ToDeviceModule
{
    public static void MapToDevice(this RouteGroupBuilder v3) => v3.MapSendToDevice();
}
