using System.Net;

namespace WalkieTalkie.Server.Federation.Transport;

/// <summary>
/// Where a server name is reached (spec: Resolving server names, without SRV): a configured peer (Development), an
/// IP literal or explicit port as given, else `.well-known/matrix/server`'s delegation, else port 8448, over HTTPS.
/// </summary>
public sealed class Destinations(IOptions<FederationOptions> options, IHostEnvironment environment, IHttpClientFactory http,
    TimeProvider clock, ILogger<Destinations> logger)
{
    public const string WellKnownClient = "federation-well-known";
    static readonly TimeSpan WellKnownLifetime = TimeSpan.FromHours(1);
    readonly ConcurrentDictionary<string, (Uri Base, DateTimeOffset Until)> _resolved = new(StringComparer.OrdinalIgnoreCase);

    public async Task<Uri> BaseAddressAsync(string serverName, CancellationToken ct)
    {
        if (environment.IsDevelopment())
        {
            // Development and tests reach only the configured peers: no lookups of names on the network.
            return options.Value.Peers.TryGetValue(serverName, out var peer) ? new Uri(peer.TrimEnd('/') + "/")
                : throw new FederationException(serverName, 0, null, $"{serverName} is not in Federation:Peers (Development reaches only those)");
        }
        if (HasPortOrIsIp(serverName)) return new Uri($"https://{serverName}/");
        if (_resolved.TryGetValue(serverName, out var known) && known.Until > clock.GetUtcNow()) return known.Base;
        var resolved = await DelegatedAsync(serverName, ct) ?? new Uri($"https://{serverName}:8448/");
        _resolved[serverName] = (resolved, clock.GetUtcNow() + WellKnownLifetime);
        return resolved;
    }

    static bool HasPortOrIsIp(string name) =>
        IPAddress.TryParse(name.Trim('[', ']'), out _) || (name.LastIndexOf(':') is var c and > 0 && !name.EndsWith(']') && int.TryParse(name[(c + 1)..], out _));

    async Task<Uri?> DelegatedAsync(string serverName, CancellationToken ct)
    {
        try
        {
            using var client = http.CreateClient(WellKnownClient);
            using var response = await client.GetAsync($"https://{serverName}/.well-known/matrix/server", ct);
            if (!response.IsSuccessStatusCode) return null;
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            if (body?["m.server"]?.GetValue<string>() is not { Length: > 0 } delegated) return null;
            return HasPortOrIsIp(delegated) ? new Uri($"https://{delegated}/") : new Uri($"https://{delegated}:8448/");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException or UriFormatException)
        {
            logger.LogDebug("No .well-known/matrix/server for {Server}: {Message}", serverName, e.Message);
            return null;
        }
    }
}
