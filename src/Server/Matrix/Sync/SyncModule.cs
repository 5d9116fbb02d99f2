using WalkieTalkie.Server.Infrastructure.Sync;

namespace WalkieTalkie.Server.Matrix.Sync;

public static class SyncModule
{
    public static IServiceCollection AddSync(this IServiceCollection services) => services
        .AddSingleton<SyncNotifier>()
        .AddSingleton<EphemeralBoard>()
        .AddHostedService<PostgresChangeListener>();
}
