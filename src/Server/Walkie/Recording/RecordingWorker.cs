using WalkieTalkie.Server.Walkie.Stream;
using System.Threading.Channels;
using WalkieTalkie.Server.Matrix.Media;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>
/// Turns ended bursts into voice messages, one at a time in the order they ended (so a session's thread is in order):
/// check the room still records, assemble the Ogg Opus file and its waveform, store it as media, post it
/// (<see cref="PostRecording"/>). Storing and posting are retried with back-off; a burst that still fails is logged
/// with its identity and audited as <see cref="RecordingFailed"/>. Nothing here can reach the relay.
/// </summary>
public sealed class RecordingWorker(MediaStore media, PostRecording post, IDocumentStore store, IOptions<RecordingOptions> options,
    TimeProvider clock, ILogger<RecordingWorker> logger) : BackgroundService
{
    readonly RecordingOptions _options = options.Value;
    readonly Channel<CapturedBurst> _queue = Channel.CreateBounded<CapturedBurst>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of blocking or silently dropping
    });

    public bool TryEnqueue(CapturedBurst burst) => _queue.Writer.TryWrite(burst);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var burst in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try { await RecordAsync(burst, stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Recording of {Burst} failed", burst);
                    await AuditFailureAsync(burst, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    async Task RecordAsync(CapturedBurst burst, CancellationToken ct)
    {
        var summary = burst.Summary;
        await using (var query = store.QuerySession())
        {
            if (!RoomRecording.Of(await query.LoadAsync<RoomState>(summary.RoomId, ct)).ServerRecords) return;
            // Another process may have recorded the same burst (if its relay saw the frames too): store no second file.
            if (await query.LoadAsync<PostedBurst>(PostedBurst.Key(summary.RoomId, summary.Epoch), ct) is not null) return;
        }

        var recording = OggRecording.Assemble(burst.Frames);
        var fileName = $"walkie-{summary.Epoch}.ogg";
        var mediaUri = await RetryAsync(burst, "store the recording", () =>
            media.SaveAsync(new MemoryStream(recording.Bytes, writable: false), OggRecording.MimeType, fileName, summary.Speaker.UserId, ct), ct);
        var posted = await RetryAsync(burst, "post the voice message", () => post.PostAsync(burst, recording, mediaUri, fileName, ct), ct);

        if (posted.Attached is { } a)
            logger.LogInformation("Recorded {Burst}: {Packets} packets ({Loss} concealed), {Size} bytes as {Media} in event {Event}, session {Root}",
                burst, recording.Packets, recording.LossPackets, a.Size, a.MediaUri, a.EventId, a.SessionRootEventId);
        else
            logger.LogInformation("Recording of {Burst} not posted: {Reason}", burst, posted.SkippedBecause);
    }

    /// <summary>Runs <paramref name="step"/> up to MaxAttempts times; a Matrix error (the room refuses) is final at once.</summary>
    async Task<T> RetryAsync<T>(CapturedBurst burst, string what, Func<Task<T>> step, CancellationToken ct)
    {
        var delay = _options.RetryDelay;
        for (int attempt = 1; ; attempt++)
        {
            try { return await step(); }
            catch (Exception e) when (e is not MatrixException && e is not OperationCanceledException && attempt < _options.MaxAttempts)
            {
                logger.LogWarning(e, "Attempt {Attempt} of {Max} to {What} for {Burst} failed; retrying in {Delay}",
                    attempt, _options.MaxAttempts, what, burst, delay);
                await Task.Delay(delay, clock, ct);
                delay *= 2;
            }
        }
    }

    async Task AuditFailureAsync(CapturedBurst burst, string reason)
    {
        try
        {
            var s = burst.Summary;
            await using var session = store.LightweightSession();
            session.Events.Append(BurstStream.Id(s.RoomId), new RecordingFailed(s.RoomId, s.Epoch, s.Speaker, reason, clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not audit the failed recording of {Burst}", burst);
        }
    }
}
