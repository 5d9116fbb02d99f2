namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>Spec module "End-to-end encryption": key upload, query, claim, changes, cross-signing.</summary>
public static class KeysModule
{
    /// <summary>Key uploads and queries for many users or devices are bigger than events.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

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
        v3.MapKeysOfR0();
        // New in spec v1.1 (MSC1756, MSC1219): not under r0.
        v3.MapUploadCrossSigningKeys();
        v3.MapUploadSignatures();
        v3.MapKeyBackupVersion();
    }

    /// <summary>The key endpoints r0.6.1 had.</summary>
    public static void MapKeysOfR0(this RouteGroupBuilder group)
    {
        group.MapUploadKeys();
        group.MapQueryKeys();
        group.MapClaimKeys();
        group.MapKeyChanges();
    }
}
