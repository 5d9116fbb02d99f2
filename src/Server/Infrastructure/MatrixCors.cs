using Microsoft.AspNetCore.Cors.Infrastructure;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>CORS as the client-server spec asks, so browser clients on any origin work.</summary>
public static class MatrixCors
{
    public static void Policy(CorsPolicyBuilder policy) => policy
        .AllowAnyOrigin()
        .WithMethods("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS")
        .WithHeaders("X-Requested-With", "Content-Type", "Authorization", "Date")
        .WithExposedHeaders("Content-Disposition");
}
