global using Microsoft.AspNetCore.Builder;
global using Microsoft.Extensions.DependencyInjection;
global using WalkieTalkie.Server.IntegrationTests.Infrastructure;
global using Xunit;
