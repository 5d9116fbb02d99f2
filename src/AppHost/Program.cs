using WalkieTalkie.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// ConnectionStrings:walkie given → use it; Docker engine → Aspire's container; neither → local binaries.
var walkie = builder.AddWalkieDatabase("walkie");

builder.AddProject<Projects.Server>("server")
    .WithReference(walkie.Resource)
    .WaitFor(walkie.WaitTarget)
    .WithExternalHttpEndpoints();

builder.Build().Run();
