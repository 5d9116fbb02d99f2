global using WalkieTalkie.Audio;
global using WalkieTalkie.Audio.Tests;
global using WalkieTalkie.Client.Tests.Infrastructure;
global using WalkieTalkie.Protocol;
global using Xunit;
