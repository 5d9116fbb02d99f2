using WalkieTalkie.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// ConnectionStrings:walkie given → use it; Docker engine → Aspire's container; neither → local binaries.
var walkie = builder.AddWalkieDatabase("walkie");
// The same choice for NATS, which carries live audio between server processes.
var nats = builder.AddWalkieNats("nats");

var server = builder.AddProject<Projects.Server>("server")
    .WithHttpEndpoint(port: 8008)
    .WithReference(walkie.Resource)
    .WaitFor(walkie.WaitTarget)
    .WithReference(nats.Resource)
    .WaitFor(nats.WaitTarget)
    .WithExternalHttpEndpoints()
    // The browser walkie-talkie (src/Web) on the same endpoint: a link on the dashboard's resource page.
    .WithUrl("/walkie/", "Walkie-talkie (browser)");

if (!builder.ExecutionContext.IsPublishMode)
    server.WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development");

builder.Build().Run();
