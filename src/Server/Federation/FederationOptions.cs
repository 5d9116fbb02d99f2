namespace WalkieTalkie.Server.Federation;

/// <summary>Federation settings, section "Federation" in configuration.</summary>
public sealed class FederationOptions
{
    public const string Section = "Federation";

    /// <summary>Server name → plain base URL (`Federation__Peers__hs2.test=http://127.0.0.1:8009`); honoured in Development only.</summary>
    public Dictionary<string, string> Peers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long others may use our published keys before fetching them again (`valid_until_ts`).</summary>
    public TimeSpan KeyValidity { get; set; } = TimeSpan.FromDays(1);

    /// <summary>First delay before a failed transaction to a destination is sent again; doubles per failure.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest delay between attempts to reach a destination that is down.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);
}
