using WalkieTalkie.Server.Federation.Keys;

namespace WalkieTalkie.Server.Federation;

/// <summary>Server-server API: signing keys, request signing, transactions, queries.</summary>
public static class FederationModule
{
    public static IServiceCollection AddFederation(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ServerSigningKeys>();
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<StoredSigningKey>();
            opts.Schema.For<OldVerifyKey>();
        });
        return services;
    }
}
