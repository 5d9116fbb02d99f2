using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using WalkieTalkie.Server.Matrix.Media;

namespace WalkieTalkie.Server.IntegrationTests.Faults;

/// <summary>
/// Disk full or a media folder the server cannot write: the upload answers 507 M_RESOURCE_LIMIT_EXCEEDED (the spec's
/// code for a homeserver that reached a resource limit such as disk space, with the admin contact it requires), the
/// log says which folder and why, and nothing half-written is left behind.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class when_the_media_folder_cannot_take_an_upload(IntegrationFixture fixture)
{
    [Fact]
    public async Task a_full_disk_answers_507_logs_why_and_leaves_no_partial_file()
    {
        await using var folder = await ScratchFolder.TinyAsync(kib: 64);
        var logs = new CapturedLogs();
        await using var host = await StartAsync(folder.Path, logs);
        var alice = await MatrixTestClient.RegisterAsync(host);

        var response = await UploadAsync(alice, RandomNumberGenerator.GetBytes(512 * 1024));

        var error = await response.ShouldBeMatrixError(HttpStatusCode.InsufficientStorage, "M_RESOURCE_LIMIT_EXCEEDED");
        Assert.Contains("full", error["error"]!.GetValue<string>());
        Assert.Equal("mailto:admin@example.org", error["admin_contact"]?.GetValue<string>());
        Assert.Empty(folder.Files());
        var logged = Assert.Single(logs.Entries, e => e.Category == typeof(MediaStore).FullName && e.Level == LogLevel.Error);
        Assert.Contains(folder.Path, logged.Message);
        Assert.Contains("is full", logged.Message);

        // Space freed by the failed upload is usable again: a small file still goes in and comes back whole.
        var small = RandomNumberGenerator.GetBytes(4 * 1024);
        var uri = (await (await UploadAsync(alice, small)).EnsureMatrixSuccess())["content_uri"]!.GetValue<string>();
        var download = await alice.Http.GetAsync($"/_matrix/client/v1/media/download/localhost/{uri[(uri.LastIndexOf('/') + 1)..]}");
        Assert.Equal(small, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task an_unwritable_folder_answers_507_logs_why_and_stores_nothing()
    {
        await using var folder = await ScratchFolder.ReadOnlyAsync();
        var logs = new CapturedLogs();
        await using var host = await StartAsync(folder.Path, logs);
        var alice = await MatrixTestClient.RegisterAsync(host);

        var response = await UploadAsync(alice, RandomNumberGenerator.GetBytes(1024));

        var error = await response.ShouldBeMatrixError(HttpStatusCode.InsufficientStorage, "M_RESOURCE_LIMIT_EXCEEDED");
        Assert.Contains("not writable", error["error"]!.GetValue<string>());
        Assert.NotNull(error["admin_contact"]);
        Assert.Empty(folder.Files());
        var logged = Assert.Single(logs.Entries, e => e.Category == typeof(MediaStore).FullName && e.Level == LogLevel.Error);
        Assert.Contains(folder.Path, logged.Message);
        Assert.Contains("is not writable", logged.Message);
    }

    // A folder inside the mount: the host deletes its media folder on dispose, and a mount point cannot be deleted.
    async Task<WalkieHost> StartAsync(string mount, CapturedLogs logs) =>
        await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync(),
            new Dictionary<string, string?> { ["Media:Path"] = Path.Combine(mount, "media"), ["Media:AdminContact"] = "mailto:admin@example.org" },
            builder => builder.Logging.AddProvider(logs));

    static async Task<HttpResponseMessage> UploadAsync(MatrixTestClient client, byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/octet-stream");
        return await client.Http.PostAsync("/_matrix/media/v3/upload?filename=burst.ogg", content);
    }
}
