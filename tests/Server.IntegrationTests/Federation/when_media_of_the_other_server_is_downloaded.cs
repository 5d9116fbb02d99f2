using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using WalkieTalkie.Server.IntegrationTests.Federation.Infrastructure;

namespace WalkieTalkie.Server.IntegrationTests.Federation;

/// <summary>`mxc://hs1.test/...` read by a user of hs2: fetched over federation (multipart/mixed), then kept.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_media_of_the_other_server_is_downloaded(IntegrationFixture fixture)
{
    static async Task<string> UploadAsync(MatrixTestClient client, byte[] bytes, string type, string fileName)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        var body = await (await client.Http.PostAsync($"/_matrix/media/v3/upload?filename={fileName}", content)).EnsureMatrixSuccess();
        return body["content_uri"]!.GetValue<string>();
    }

    [Fact]
    public async Task a_user_of_the_other_server_gets_the_same_bytes_and_type_and_gets_them_again_while_the_origin_is_down()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        var bob = await MatrixTestClient.RegisterAsync(pair.Hs2);
        var bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        var uri = await UploadAsync(alice, bytes, "audio/ogg", "burst.ogg");
        Assert.StartsWith("mxc://hs1.test/", uri);
        var path = "/_matrix/client/v1/media/download/" + uri["mxc://".Length..];

        var first = await bob.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("audio/ogg", first.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await first.Content.ReadAsByteArrayAsync());
        Assert.Contains("burst.ogg", first.Content.Headers.ContentDisposition!.ToString());

        await pair.StopAsync(FederationPair.Hs1Name);
        var again = await bob.Http.GetAsync(path);
        Assert.Equal(bytes, await again.Content.ReadAsByteArrayAsync());
        await (await bob.Http.GetAsync("/_matrix/client/v1/media/download/hs1.test/NeverUploaded1"))
            .ShouldBeMatrixError(HttpStatusCode.NotFound, "M_NOT_FOUND");
    }

    [Fact]
    public async Task the_federation_endpoint_answers_two_parts_metadata_then_the_file()
    {
        await using var pair = await FederationPair.StartAsync(fixture);
        var alice = await MatrixTestClient.RegisterAsync(pair.Hs1);
        var uri = await UploadAsync(alice, "hello"u8.ToArray(), "text/plain", "hello.txt");
        var mediaId = uri[(uri.LastIndexOf('/') + 1)..];

        var response = await SignedRequest.SendAsync(pair.Hs2, pair.Hs1, HttpMethod.Get, $"/_matrix/federation/v1/media/download/{mediaId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("multipart/mixed", response.Content.Headers.ContentType!.MediaType);
        var boundary = response.Content.Headers.ContentType.Parameters.Single(p => p.Name == "boundary").Value!;
        var reader = new MultipartReader(boundary, await response.Content.ReadAsStreamAsync());
        var metadata = await reader.ReadNextSectionAsync();
        Assert.Equal("application/json", metadata!.ContentType);
        Assert.IsType<JsonObject>(JsonNode.Parse(await new StreamReader(metadata.Body).ReadToEndAsync()));
        var file = await reader.ReadNextSectionAsync();
        Assert.Equal("text/plain", file!.ContentType);
        Assert.Equal("hello", await new StreamReader(file.Body).ReadToEndAsync());
        Assert.Null(await reader.ReadNextSectionAsync());

        using var anonymous = pair.Hs1.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/_matrix/federation/v1/media/download/{mediaId}")).StatusCode);
    }
}
