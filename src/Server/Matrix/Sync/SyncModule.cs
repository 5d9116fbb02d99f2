namespace WalkieTalkie.Server.Matrix.Sync;

public static class SyncModule
{
    public static IServiceCollection AddSync(this IServiceCollection services) => services
        .AddSingleton<SyncNotifier>()
        .AddSingleton<EphemeralBoard>()
        .AddHostedService<PostgresChangeListener>()
        // Each module's part of the response, in this order.
        .AddSingleton<ISyncContributor, AccountData.AccountDataSync>()
        .AddSingleton<ISyncContributor, ToDevice.ToDeviceSync>()
        .AddSingleton<ISyncContributor, Keys.KeysSync>();
}
