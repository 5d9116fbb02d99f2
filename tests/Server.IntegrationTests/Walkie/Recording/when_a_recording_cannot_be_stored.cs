using WalkieTalkie.Server.Walkie.Stream;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WalkieTalkie.Server.Walkie.Recording;

namespace WalkieTalkie.Server.IntegrationTests.Walkie.Recording;

[Collection(IntegrationCollection.Name)]
public sealed class when_a_recording_cannot_be_stored(IntegrationFixture fixture)
{
    [Fact]
    public async Task it_is_retried_logged_with_the_burst_and_audited_as_failed_while_the_relay_goes_on()
    {
        var packets = (await SpeechPackets.GetAsync()).Take(50).ToList();
        // A media folder below a regular file: every attempt to store fails with an I/O error.
        var blocker = Path.GetTempFileName();
        var logs = new CapturedLogs();
        try
        {
            await using var host = await WalkieHost.StartAsync(await fixture.CreateDatabaseAsync(), new Dictionary<string, string?>
            {
                ["Media:Path"] = Path.Combine(blocker, "media"),
                ["Walkie:Recording:RetryDelay"] = "00:00:00.050",
            }, builder => builder.Logging.AddProvider(logs));
            var room = await RecordingRoom.CreateAsync(host, new { recording = "server" });

            var burst = await room.BurstAsync(packets, DateTimeOffset.UtcNow); // returns: the relay is never held up

            var (stream, _) = await WalkieRoom.EventuallyAsync(room.BurstStreamAsync, s => s.Count > 0, TimeSpan.FromSeconds(20), "the burst audit");
            var failed = Assert.IsType<RecordingFailed>(Assert.Single(stream));
            Assert.Equal((burst.Epoch, room.Speaker.DeviceId), (failed.Epoch, failed.Speaker.DeviceId));
            var identity = $"{room.Id} epoch {burst.Epoch} by {room.Speaker.UserId}/{room.Speaker.DeviceId}";
            Assert.Equal(3, logs.Lines.Count(l => l.StartsWith("Warning") && l.Contains("to store the recording") && l.Contains(identity)));
            Assert.Single(logs.Lines, l => l.StartsWith("Error") && l.Contains($"Recording of {identity} failed"));

            // The room stays usable and nothing half-made was posted.
            await room.Listener.SendTextAsync(room.Id, "still here");
            await room.WaitForAsync(e => e["content"]?["body"]?.GetValue<string>() == "still here", "the text after the failure");
            Assert.DoesNotContain(room.Seen, RecordingRoom.IsRecorderEvent);
        }
        finally { File.Delete(blocker); }
    }

    sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<string> Queue { get; } = new();
        public IReadOnlyList<string> Lines => Queue.ToList();
        public ILogger CreateLogger(string categoryName) => categoryName.StartsWith("WalkieTalkie.Server.Walkie.Recording") ? new Logger(Queue) : NullLogger.Instance;
        public void Dispose() { }

        sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
