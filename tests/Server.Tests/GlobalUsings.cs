global using Xunit;
// The server's device (auth, consent, floor) over the wire protocol's record of the same name, as in src/Server.
global using DeviceRef = WalkieTalkie.Server.Infrastructure.DeviceRef;
global using FloorPriority = WalkieTalkie.Protocol.FloorPriority;
