using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>What posting did: the burst's voice message and its session root, or nothing (already posted, or the room stopped recording).</summary>
public sealed record PostedRecording(RecordingAttached? Attached, string? SkippedBecause);

/// <summary>
/// Posts a stored recording in one room transaction: the session root (new session) or its edit (joined session), the
/// voice message as the speaker, the session document, the burst's <see cref="PostedBurst"/> mark and the
/// <see cref="RecordingAttached"/> audit event. All commit together or not at all, so a retry is safe.
/// </summary>
public sealed class PostRecording(IServiceScopeFactory scopes, TimeProvider clock)
{
    public async Task<PostedRecording> PostAsync(CapturedBurst captured, OggRecording recording, string mediaUri, string fileName,
        CancellationToken ct)
    {
        var burst = captured.Summary;
        await using var scope = scopes.CreateAsyncScope();
        var writer = scope.ServiceProvider.GetRequiredService<RoomWriter>();
        PostedRecording result = new(null, null);

        await writer.AppendAsync(burst.RoomId, async (room, tx) =>
        {
            var settings = RoomRecording.Of(room);
            if (!settings.ServerRecords)
            {
                result = new(null, "the room no longer has server recording");
                return [];
            }
            if (await tx.Session.LoadAsync<PostedBurst>(PostedBurst.Key(burst.RoomId, burst.Epoch), ct) is { } posted)
            {
                result = new(null, $"already posted as {posted.EventId}");
                return [];
            }

            // Event ids are reference hashes, known once each event is appended: later events and documents cite them.
            var current = await tx.Session.LoadAsync<WalkieSession>(burst.RoomId, ct);
            WalkieSession session;
            if (current is not null && current.Continues(burst, settings.SessionGapMs, room.IsJoined(current.RootSender)))
            {
                var message = await tx.AddAsync(Message(burst, RecordingContent.VoiceMessage(burst, recording, mediaUri, fileName, current.RootEventId, current.LastEventId)));
                session = current.With(burst, recording.DurationMs, message.EventId);
                await tx.AddAsync(new RoomEventDraft(session.RootSender, EventTypes.Message, null, RecordingContent.RootEdit(session)));
            }
            else
            {
                // The root is sent as the first speaker: a notice "from" the server would need a user of its own in every room.
                var root = await tx.AddAsync(new RoomEventDraft(burst.Speaker.UserId, EventTypes.Message, null,
                    RecordingContent.Root(WalkieSession.Start(burst.RoomId, "", burst, recording.DurationMs, ""))));
                var message = await tx.AddAsync(Message(burst, RecordingContent.VoiceMessage(burst, recording, mediaUri, fileName, root.EventId, root.EventId)));
                session = WalkieSession.Start(burst.RoomId, root.EventId, burst, recording.DurationMs, message.EventId);
            }
            var messageId = session.LastEventId;

            var attached = new RecordingAttached(burst.RoomId, burst.Epoch, burst.Speaker, mediaUri, messageId, session.RootEventId,
                recording.Bytes.Length, recording.DurationMs, clock.GetUtcNow());
            tx.Session.Store(session);
            tx.Session.Store(new PostedBurst(PostedBurst.Key(burst.RoomId, burst.Epoch), messageId, mediaUri));
            tx.Session.Events.Append(BurstStream.Id(burst.RoomId), attached);
            result = new(attached, null);
            return [];
        }, ct);
        return result;
    }

    static RoomEventDraft Message(BurstSummary burst, System.Text.Json.Nodes.JsonObject content) =>
        new(burst.Speaker.UserId, EventTypes.Message, null, content);
}
