using Marten;

namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>Spec module "End-to-end encryption": key upload, query, claim, changes, cross-signing.</summary>
public static class KeysModule
{
    public static IServiceCollection AddKeys(this IServiceCollection services) =>
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<UploadedDeviceKeys>().Index(k => k.UserId);
            opts.Schema.For<OneTimeKey>().Index([k => k.UserId, k => k.DeviceId, k => k.Algorithm]);
            opts.Schema.For<FallbackKey>().Index(k => k.UserId);
            opts.Schema.For<CrossSigningKey>().Index(k => k.UserId);
            opts.Schema.For<KeySignature>().Index(k => k.TargetUserId);
            opts.Events.AddEventType<DeviceListChanged>();
        });

    public static void MapKeys(this RouteGroupBuilder v3)
    {
        v3.MapUploadKeys();
        v3.MapQueryKeys();
        v3.MapClaimKeys();
        v3.MapKeyChanges();
        v3.MapUploadCrossSigningKeys();
        v3.MapUploadSignatures();
        v3.MapKeyBackupVersion();
    }
}
