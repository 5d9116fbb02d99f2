namespace WalkieTalkie.Server.Matrix.Media;

/// <summary>GET /_matrix/client/v1/media/config and the deprecated /_matrix/media/v3/config: the upload limit.</summary>
public static class MediaConfig
{
    public static void MapMediaConfig(this RouteGroupBuilder group) =>
        group.MapGet("/config", (MediaStore media) => TypedResults.Ok(new Dictionary<string, long> { ["m.upload.size"] = media.MaxUploadBytes }))
            .RequireAccessToken();
}
