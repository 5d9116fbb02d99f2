namespace WalkieTalkie.Server.Matrix.Account;

/// <summary>Spec module "Client authentication" + "Account registration and management".</summary>
public static class AccountModule
{
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration, bool development)
    {
        services.Configure<RegistrationOptions>(o => o.Enabled = development);
        services.Configure<RegistrationOptions>(configuration.GetSection(RegistrationOptions.Section));
        services.Configure<Infrastructure.Auth.PasswordOptions>(configuration.GetSection(Infrastructure.Auth.PasswordOptions.Section));
        services.AddSingleton<Infrastructure.Auth.PasswordHasher>();
        return services;
    }

    public static void MapAccount(this RouteGroupBuilder v3)
    {
        v3.MapRegister();
        v3.MapLogin();
        v3.MapLogout();
    }
}
