using JasperFx;
using WalkieTalkie.Server;

// Standalone: `dotnet run --project src/Server`; `-- resources setup` creates the schema outside Development.
var app = WalkieServer.Create(args);
return await app.RunJasperFxCommands(args);
