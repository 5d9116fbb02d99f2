namespace WalkieTalkie.Server.Matrix.Media;

/// <summary>Spec module "Content repository": upload, download (authenticated v1 and deprecated v3), config.</summary>
public static class MediaModule
{
    public static IServiceCollection AddMedia(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MediaOptions>(configuration.GetSection(MediaOptions.Section));
        services.AddSingleton<MediaStore>();
        return services;
    }

    public static void MapMedia(this IEndpointRouteBuilder app)
    {
        var clientV1Media = app.MapGroup("/_matrix/client/v1/media");
        clientV1Media.MapAuthenticatedDownload();
        clientV1Media.MapMediaConfig();
        // r0 is what older clients call; v3 is its successor (both deprecated for download by the v1 routes above).
        foreach (var legacy in new[] { "/_matrix/media/v3", "/_matrix/media/r0" }.Select(app.MapGroup))
        {
            legacy.MapUploadMedia();
            legacy.MapUnauthenticatedDownload();
            legacy.MapMediaConfig();
        }
    }
}
