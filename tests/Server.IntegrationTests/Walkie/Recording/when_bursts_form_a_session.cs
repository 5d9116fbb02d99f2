using WalkieTalkie.Server.Walkie.Stream;
using WalkieTalkie.Server.Walkie.Recording;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Recording;

[Collection(IntegrationCollection.Name)]
public sealed class when_bursts_form_a_session(IntegrationFixture fixture)
{
    const long GapMs = 5000;

    [Fact]
    public async Task bursts_closer_than_the_gap_share_one_thread_root_which_is_edited_to_tell_the_whole_session()
    {
        var packets = (await SpeechPackets.GetAsync()).Take(100).ToList(); // 2 s each
        var room = await RecordingRoom.CreateAsync(fixture.Server, new { recording = "server", session_gap_ms = GapMs });
        var bob = await room.AddSpeakerAsync();
        var t0 = DateTimeOffset.UtcNow;

        var first = await room.BurstAsync(packets, t0);
        var second = await room.BurstAsync(packets, first.EndedAt.AddMilliseconds(GapMs - 1000), speaker: bob);
        var third = await room.BurstAsync(packets, second.EndedAt.AddMilliseconds(300));
        var m1 = await room.VoiceMessageAsync(first.Epoch);
        var m2 = await room.VoiceMessageAsync(second.Epoch);
        var m3 = await room.VoiceMessageAsync(third.Epoch);

        var rootId = ThreadRoot(m1);
        Assert.Equal(rootId, ThreadRoot(m2));
        Assert.Equal(rootId, ThreadRoot(m3));
        Assert.Equal(bob.UserId, m2["sender"]!.GetValue<string>());
        // Clients without threads see each burst as a reply to the one before it.
        Assert.Equal(rootId, InReplyTo(m1));
        Assert.Equal(m1["event_id"]!.GetValue<string>(), InReplyTo(m2));
        Assert.Equal(m2["event_id"]!.GetValue<string>(), InReplyTo(m3));
        Assert.Single(room.Seen, e => e["content"]?["msgtype"]?.GetValue<string>() == "m.notice" && e["content"]?["m.relates_to"] is null);

        // The root stays truthful: the last edit (by the root's sender) tells every speaker and the total.
        var last = await room.WaitForAsync(e => IsEditOf(e, rootId) && e["content"]!["m.new_content"]!["org.matrix.msc4002.session"]!["bursts"]!.GetValue<int>() == 3,
            "the root's edit for three bursts");
        Assert.Equal(room.Speaker.UserId, last["sender"]!.GetValue<string>());
        Assert.Equal(2, room.Seen.Count(e => IsEditOf(e, rootId)));
        var expected = $"🎙 Walkie-talkie session: {room.Speaker.UserId} spoke 4.0 s, {bob.UserId} spoke 2.0 s (3 bursts, 6.0 s)";
        var newContent = last["content"]!["m.new_content"]!.AsObject();
        Assert.Equal(expected, newContent["body"]!.GetValue<string>());
        Assert.Equal("m.notice", newContent["msgtype"]!.GetValue<string>());
        Assert.Equal("* " + expected, last["content"]!["body"]!.GetValue<string>());
        Assert.Equal(
            $$"""{"started_ts":{{t0.ToUnixTimeMilliseconds()}},"duration":6000,"bursts":3,"speakers":[{"user_id":"{{room.Speaker.UserId}}","duration":4000,"bursts":2},{"user_id":"{{bob.UserId}}","duration":2000,"bursts":1}]}""",
            newContent["org.matrix.msc4002.session"]!.ToJsonString());

        var attached = (await room.BurstStreamAsync()).OfType<RecordingAttached>().ToList();
        Assert.Equal([first.Epoch, second.Epoch, third.Epoch], attached.Select(a => a.Epoch));
        Assert.All(attached, a => Assert.Equal(rootId, a.SessionRootEventId));
    }

    [Fact]
    public async Task a_burst_after_the_gap_starts_a_new_root()
    {
        var packets = (await SpeechPackets.GetAsync()).Take(50).ToList();
        var room = await RecordingRoom.CreateAsync(fixture.Server, new { recording = "server", session_gap_ms = GapMs });

        var first = await room.BurstAsync(packets, DateTimeOffset.UtcNow);
        var later = await room.BurstAsync(packets, first.EndedAt.AddMilliseconds(GapMs + 1));
        var m1 = await room.VoiceMessageAsync(first.Epoch);
        var m2 = await room.VoiceMessageAsync(later.Epoch);

        Assert.NotEqual(ThreadRoot(m1), ThreadRoot(m2));
        Assert.Equal(ThreadRoot(m2), InReplyTo(m2));
        var roots = room.Seen.Where(e => e["content"]?["msgtype"]?.GetValue<string>() == "m.notice").ToList();
        Assert.Equal([ThreadRoot(m1), ThreadRoot(m2)], roots.Select(r => r["event_id"]!.GetValue<string>()));
        Assert.All(roots, r => Assert.Equal($"🎙 Walkie-talkie session: {room.Speaker.UserId} spoke 1.0 s", r["content"]!["body"]!.GetValue<string>()));
        Assert.DoesNotContain(room.Seen, e => e["content"]?["m.relates_to"]?["rel_type"]?.GetValue<string>() == "m.replace");
    }

    [Fact]
    public async Task another_server_process_on_the_same_database_continues_the_session()
    {
        var packets = (await SpeechPackets.GetAsync()).Take(50).ToList();
        var database = await fixture.CreateDatabaseAsync();
        await using var one = await WalkieHost.StartAsync(database);
        await using var two = await WalkieHost.StartAsync(database);
        var room = await RecordingRoom.CreateAsync(one, new { recording = "server" });

        var first = await room.BurstAsync(packets, DateTimeOffset.UtcNow);
        var m1 = await room.VoiceMessageAsync(first.Epoch);
        var second = await room.BurstAsync(packets, first.EndedAt.AddSeconds(30), relay: two);
        var m2 = await room.VoiceMessageAsync(second.Epoch);

        Assert.Equal(ThreadRoot(m1), ThreadRoot(m2));
        Assert.Equal(m1["event_id"]!.GetValue<string>(), InReplyTo(m2));
        var edit = await room.WaitForAsync(e => IsEditOf(e, ThreadRoot(m1)), "the root's edit");
        Assert.EndsWith("spoke 2.0 s (2 bursts, 2.0 s)", edit["content"]!["m.new_content"]!["body"]!.GetValue<string>());
    }

    static string ThreadRoot(JsonObject e) => e["content"]!["m.relates_to"]!["event_id"]!.GetValue<string>();
    static string InReplyTo(JsonObject e) => e["content"]!["m.relates_to"]!["m.in_reply_to"]!["event_id"]!.GetValue<string>();

    static bool IsEditOf(JsonObject e, string rootId) =>
        e["content"]?["m.relates_to"]?["rel_type"]?.GetValue<string>() == "m.replace"
        && e["content"]?["m.relates_to"]?["event_id"]?.GetValue<string>() == rootId;
}
