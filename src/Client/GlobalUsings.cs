// The stream's wire types (control messages, frames, DeviceRef, FloorPriority) are the client's public types too.
global using System.Net.WebSockets;
global using System.Text.Json;
global using System.Text.Json.Nodes;
global using WalkieTalkie.Audio;
global using WalkieTalkie.Client.Matrix;
global using WalkieTalkie.Protocol;
