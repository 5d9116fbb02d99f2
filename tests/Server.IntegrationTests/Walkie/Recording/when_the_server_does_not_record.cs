namespace WalkieTalkie.Server.IntegrationTests.Walkie.Recording;

[Collection(IntegrationCollection.Name)]
public sealed class when_the_server_does_not_record(IntegrationFixture fixture)
{
    [Fact]
    public async Task client_recording_off_and_encrypted_rooms_get_no_message_from_the_server()
    {
        var packets = (await SpeechPackets.GetAsync()).Take(50).ToList();
        var client = await RecordingRoom.CreateAsync(fixture.Server, new { recording = "client" });
        var off = await RecordingRoom.CreateAsync(fixture.Server, new { recording = "off" });
        var encrypted = await RecordingRoom.CreateAsync(fixture.Server, new { recording = "server" }, encrypted: true);
        var sentinel = await RecordingRoom.CreateAsync(fixture.Server, new { recording = "server" });

        foreach (var room in new[] { client, off, encrypted })
            await room.BurstAsync(packets, DateTimeOffset.UtcNow);
        // Recordings are made one at a time in the order bursts end: once this one is posted, the others were decided.
        var last = await sentinel.BurstAsync(packets, DateTimeOffset.UtcNow);
        await sentinel.VoiceMessageAsync(last.Epoch);

        foreach (var room in new[] { client, off, encrypted })
        {
            await room.SyncAsync();
            Assert.DoesNotContain(room.Seen, RecordingRoom.IsRecorderEvent);
            Assert.Empty(await room.BurstStreamAsync());
        }
    }
}
