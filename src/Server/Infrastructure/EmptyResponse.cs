namespace WalkieTalkie.Server.Infrastructure;

/// <summary>The empty object <c>{}</c>, answered where there is nothing to say (logout, release, withdraw consent).</summary>
public sealed record EmptyResponse
{
    public static EmptyResponse Instance { get; } = new();
}
