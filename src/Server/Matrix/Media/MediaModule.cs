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
        var mediaV3 = app.MapGroup("/_matrix/media/v3");
        mediaV3.MapUploadMedia();
        clientV1Media.MapDownloadMedia(mediaV3);
        clientV1Media.MapMediaConfig();
        mediaV3.MapMediaConfig();
    }
}
