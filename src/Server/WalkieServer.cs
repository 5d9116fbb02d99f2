using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Events;
using JasperFx.Resources;
using Weasel.Core;
using Wolverine;
using Wolverine.Marten;
using WalkieTalkie.Server.Federation;
using WalkieTalkie.Server.Matrix.Sync;
using WalkieTalkie.Server.Matrix.AccountData;
using WalkieTalkie.Server.Matrix.Capabilities;
using WalkieTalkie.Server.Matrix.Devices;
using WalkieTalkie.Server.Matrix.Filters;
using WalkieTalkie.Server.Matrix.Profile;
using WalkieTalkie.Server.Matrix.Push;
using WalkieTalkie.Server.Matrix.Keys;
using WalkieTalkie.Server.Matrix.Media;
using WalkieTalkie.Server.Matrix.ToDevice;
using WalkieTalkie.Server.Matrix.Versions;
using WalkieTalkie.Server.Walkie;

namespace WalkieTalkie.Server;

/// <summary>The composition root, shared by Program.cs and by tests that host real servers.</summary>
public static class WalkieServer
{
    public const string ConnectionName = "walkie";
    public const string ActivitySource = "WalkieTalkie.Server";

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(ActivitySource);
        // A short connect timeout: while PostgreSQL is down, requests answer 503 at once instead of hanging.
        builder.AddNpgsqlDataSource(ConnectionName, configureDataSourceBuilder: b => DatabaseOutage.ApplyTimeouts(b.ConnectionStringBuilder));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AnswerRejectionsAsMatrixErrors());

        builder.Services.Configure<MatrixOptions>(builder.Configuration.GetSection(MatrixOptions.Section));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddMatrixErrors();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            // Matrix JSON is snake_case; dictionary keys (event content, state keys) stay as given.
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        builder.Services.AddMatrixRateLimits(builder.Configuration);
        builder.Services.AddAccounts(builder.Configuration, builder.Environment.IsDevelopment());
        builder.Services.AddRooms();
        builder.Services.AddSync();
        builder.Services.AddDevices(builder.Configuration);
        builder.Services.AddKeys();
        builder.Services.AddMedia(builder.Configuration);
        builder.Services.AddWalkie(builder.Configuration);
        builder.Services.AddFederation(builder.Configuration);
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(MatrixCors.Policy));

        builder.Services.AddMarten(opts =>
            {
                opts.DatabaseSchemaName = "walkie";
                opts.Events.StreamIdentity = StreamIdentity.AsString;
                opts.Events.MetadataConfig.HeadersEnabled = false;
                // Enums as names: reordering an enum must not change the meaning of stored events.
                opts.UseSystemTextJsonForSerialization(EnumStorage.AsString);
            })
            .UseNpgsqlDataSource()
            .UseLightweightSessions()
            .IntegrateWithWolverine();

        builder.Host.UseWolverine(opts =>
        {
            opts.Policies.AutoApplyTransactions();
            opts.Policies.UseDurableLocalQueues();
            // DeviceRemoved has two independent handlers (consent, keys): each its own chain, transaction and retries,
            // as Wolverine 7 does by default; combining them is obsolete in 6.x.
            opts.MultipleHandlerBehavior = MultipleHandlerBehavior.Separated;
            // Tests host the server from a test runner; handlers live in this assembly.
            opts.ApplicationAssembly = typeof(WalkieServer).Assembly;
            // Scheduled messages are the restart-proof backstop for timers; poll them every second.
            opts.Durability.ScheduledJobPollingTime = TimeSpan.FromSeconds(1);
        });

        builder.Services.CritterStackDefaults(x =>
        {
            x.Development.ResourceAutoCreate = AutoCreate.CreateOrUpdate;
            x.Development.GeneratedCodeMode = TypeLoadMode.Dynamic;
            x.Production.ResourceAutoCreate = AutoCreate.None;
            x.Production.GeneratedCodeMode = TypeLoadMode.Auto;
        });
        if (builder.Environment.IsDevelopment())
            builder.Services.AddResourceSetupOnStartup();

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseMatrixErrors();
        app.UseStorableRequestValues();
        app.UseCors();
        // The live stream sends nothing unasked: no server-initiated keep-alive pings (battery).
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.UseRateLimiter();
        UseWebApp(app);
        app.UseMatrixAuth();
        app.UseFederationAuth();
        app.MapDefaultEndpoints();
        app.MapVersions();
        MapClientApi(app.MapGroup("/_matrix/client/v3"), r0: false);
        // Older clients (still shipped by distributions) call r0 paths; /versions advertises r0.x, as Synapse serves them.
        MapClientApi(app.MapGroup("/_matrix/client/r0"), r0: true);
        app.MapMedia();
        app.MapWalkie();
        app.MapFederation();
        return app;
    }

    /// <summary>The browser walkie-talkie (src/Web, copied to the output's web/ by the build; not walkie/, the CLI's executable name): public static files at /walkie/, no routes.</summary>
    static void UseWebApp(WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "web");
        if (!Directory.Exists(root)) return;
        var files = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = "/walkie" });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, RequestPath = "/walkie" });
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
                app.Logger.LogInformation("Walkie-talkie in the browser: {Url}", address.TrimEnd('/') + "/walkie/");
        });
    }

    /// <summary>The client-server endpoints under one version prefix; r0 lacks what v1.1 added (cross-signing upload, key backup).</summary>
    static void MapClientApi(RouteGroupBuilder group, bool r0)
    {
        group.MapAccount();
        group.MapRooms();
        group.MapSync();
        group.MapDevices();
        group.MapProfile();
        group.MapCapabilities();
        group.MapPushRules();
        group.MapFilters();
        group.MapAccountData();
        if (r0) group.MapKeysOfR0();
        else group.MapKeys();
        group.MapToDevice();
    }
}
