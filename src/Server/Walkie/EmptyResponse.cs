namespace WalkieTalkie.Server.Walkie;

/// <summary>The empty object <c>{}</c> that MSC4002 answers where there is nothing to say (release, withdraw consent).</summary>
public sealed record EmptyResponse
{
    public static EmptyResponse Instance { get; } = new();
}
