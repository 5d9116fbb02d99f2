using WalkieTalkie.Server.Walkie.Stream;

namespace WalkieTalkie.Server.Walkie.Recording;

/// <summary>Server-side recording of bursts as voice messages (docs/msc4002.md §9).</summary>
public static class RecordingModule
{
    public static IServiceCollection AddRecording(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RecordingOptions>(configuration.GetSection(RecordingOptions.Section));
        services.AddSingleton<RecordingPolicy>();
        services.AddSingleton<PostRecording>();
        services.AddSingleton<RecordingWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingWorker>());
        services.AddSingleton<ServerRecorder>();
        services.AddSingleton<IBurstObserver>(sp => sp.GetRequiredService<ServerRecorder>());

        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<WalkieSession>();
            opts.Schema.For<PostedBurst>();
            opts.Events.AddEventTypes([typeof(RecordingAttached), typeof(RecordingFailed)]);
        });
        return services;
    }
}
