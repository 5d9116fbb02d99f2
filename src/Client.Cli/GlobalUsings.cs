// The client library the command line drives, and the wire protocol it speaks.
global using WalkieTalkie.Client.Matrix;
global using WalkieTalkie.Protocol;
