// What most files of the server read: the HTTP results, options, JSON, the document store, Matrix errors and auth,
// the sync log, and the modules every other one builds on (accounts, rooms, the federation client).
global using System.Collections.Concurrent;
global using System.Text.Json;
global using System.Text.Json.Nodes;
global using System.Text.Json.Serialization;
global using Marten;
global using Microsoft.AspNetCore.Http.HttpResults;
global using Microsoft.Extensions.Options;
global using WalkieTalkie.Server.Federation.Transport;
global using WalkieTalkie.Server.Infrastructure;
global using WalkieTalkie.Server.Infrastructure.Auth;
global using WalkieTalkie.Server.Infrastructure.Sync;
global using WalkieTalkie.Server.Matrix.Account;
global using WalkieTalkie.Server.Matrix.Rooms;
// The server's device (auth, consent, floor) over the wire protocol's record of the same name.
global using DeviceRef = WalkieTalkie.Server.Infrastructure.DeviceRef;
// The floor's priority is the wire protocol's enum (one declaration).
global using FloorPriority = WalkieTalkie.Protocol.FloorPriority;
