using System.Net.Http.Headers;
using System.Security.Cryptography;
using Marten;
using WalkieTalkie.Server.Matrix.Media;

namespace WalkieTalkie.Server.IntegrationTests.Media;

[Collection(IntegrationCollection.Name)]
public sealed class when_uploading_and_downloading_media(IntegrationFixture fixture)
{
    readonly WalkieHost _host = fixture.Server;

    static async Task<string> UploadAsync(MatrixTestClient client, byte[] bytes, string contentType, string? fileName = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var query = fileName is null ? "" : "?filename=" + Uri.EscapeDataString(fileName);
        var body = await (await client.Http.PostAsync("/_matrix/media/v3/upload" + query, content)).EnsureMatrixSuccess();
        return body["content_uri"]!.GetValue<string>();
    }

    [Fact]
    public async Task bytes_and_headers_round_trip_through_the_authenticated_download()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var bytes = RandomNumberGenerator.GetBytes(200_000);

        var uri = await UploadAsync(alice, bytes, "audio/ogg", "burst 1.ogg");

        Assert.StartsWith("mxc://localhost/", uri);
        var mediaId = uri["mxc://localhost/".Length..];
        var response = await alice.Http.GetAsync($"/_matrix/client/v1/media/download/localhost/{mediaId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("audio/ogg", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("inline", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("burst 1.ogg", response.Content.Headers.ContentDisposition.FileName!.Trim('"'));
        Assert.Equal("cross-origin", response.Headers.GetValues("Cross-Origin-Resource-Policy").Single());
        Assert.StartsWith("sandbox;", response.Headers.GetValues("Content-Security-Policy").Single());

        await using var session = _host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var stored = await session.LoadAsync<MediaFile>(mediaId);
        Assert.Equal((bytes.LongLength, Convert.ToHexStringLower(SHA256.HashData(bytes)), alice.UserId, "burst 1.ogg"),
            (stored!.Size, stored.Sha256, stored.UploaderUserId, stored.FileName));
    }

    [Fact]
    public async Task the_file_name_in_the_path_wins_and_unsafe_types_are_attachments()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var uri = await UploadAsync(alice, "<script>alert(1)</script>"u8.ToArray(), "text/html", "page.html");
        var mediaId = uri[(uri.LastIndexOf('/') + 1)..];

        var response = await alice.Http.GetAsync($"/_matrix/client/v1/media/download/localhost/{mediaId}/renamed.html");

        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("renamed.html", response.Content.Headers.ContentDisposition.FileName!.Trim('"'));
        Assert.Equal("text/html; charset=UTF-8", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task the_deprecated_download_needs_no_token_and_a_non_ascii_name_is_encoded()
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        var uri = await UploadAsync(alice, [1, 2, 3], "image/png", "café.png");
        using var anonymous = _host.CreateClient();

        var response = await anonymous.GetAsync($"/_matrix/media/v3/download/{uri["mxc://".Length..]}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([1, 2, 3], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("café.png", response.Content.Headers.ContentDisposition!.FileNameStar);
        await (await anonymous.GetAsync($"/_matrix/client/v1/media/download/{uri["mxc://".Length..]}"))
            .ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
    }

    [Theory]
    [InlineData("/_matrix/client/v1/media/download/localhost/NoSuchMediaId123")]
    [InlineData("/_matrix/client/v1/media/download/elsewhere.example/NoSuchMediaId123")]
    [InlineData("/_matrix/client/v1/media/download/localhost/..%2F..%2Fetc")]
    [InlineData("/_matrix/media/v3/download/localhost/NoSuchMediaId123/x.png")]
    public async Task unknown_media_is_M_NOT_FOUND(string path)
    {
        var alice = await MatrixTestClient.RegisterAsync(_host);
        await (await alice.Http.GetAsync(path)).ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task upload_needs_a_token_and_config_tells_the_limit()
    {
        using var anonymous = _host.CreateClient();
        await (await anonymous.PostAsync("/_matrix/media/v3/upload", new ByteArrayContent([1])))
            .ShouldBeMatrixError(HttpStatusCode.Unauthorized, "M_MISSING_TOKEN");
        var alice = await MatrixTestClient.RegisterAsync(_host);
        Assert.Equal(50 * 1024 * 1024, (await alice.GetJsonAsync("/_matrix/client/v1/media/config"))["m.upload.size"]!.GetValue<long>());
        Assert.Equal(50 * 1024 * 1024, (await alice.GetJsonAsync("/_matrix/media/v3/config"))["m.upload.size"]!.GetValue<long>());
    }

    [Fact]
    public async Task uploads_over_the_configured_limit_are_M_TOO_LARGE_and_leave_no_file()
    {
        var mediaPath = Path.Combine(Path.GetTempPath(), $"walkie-media-limit-{Guid.NewGuid():N}");
        await using var small = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync(), new Dictionary<string, string?>
        {
            ["Media:MaxUploadBytes"] = "1024", ["Media:Path"] = mediaPath,
        });
        var alice = await MatrixTestClient.RegisterAsync(small);
        Assert.Equal(1024, (await alice.GetJsonAsync("/_matrix/client/v1/media/config"))["m.upload.size"]!.GetValue<long>());

        var declared = await alice.Http.PostAsync("/_matrix/media/v3/upload", new ByteArrayContent(new byte[1025]));
        await declared.ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");

        var streamed = new HttpRequestMessage(HttpMethod.Post, "/_matrix/media/v3/upload") { Content = new StreamContent(new MemoryStream(new byte[5000])) };
        streamed.Headers.TransferEncodingChunked = true;
        await (await alice.Http.SendAsync(streamed)).ShouldBeMatrixError(HttpStatusCode.RequestEntityTooLarge, "M_TOO_LARGE");

        Assert.Empty(Directory.Exists(mediaPath) ? Directory.EnumerateFiles(mediaPath, "*", SearchOption.AllDirectories) : []);
        await UploadAsync(alice, new byte[1024], "application/octet-stream");
        Assert.Single(Directory.EnumerateFiles(mediaPath, "*", SearchOption.AllDirectories));
    }
}
