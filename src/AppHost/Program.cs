using WalkieTalkie.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// ConnectionStrings:walkie given → use it; Docker engine → Aspire's container; neither → local binaries.
var walkie = builder.AddWalkieDatabase("walkie");

var server = builder.AddProject<Projects.Server>("server")
    .WithHttpEndpoint(port: 8008)
    .WithReference(walkie.Resource)
    .WaitFor(walkie.WaitTarget)
    .WithExternalHttpEndpoints();

if (!builder.ExecutionContext.IsPublishMode)
    server.WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development");

builder.Build().Run();
