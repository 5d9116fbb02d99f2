namespace WalkieTalkie.Server.Tests.Walkie.Consent;

// Inside the namespace: the enclosing WalkieTalkie.Server.Tests.Walkie.Consent namespace would otherwise hide the Consent type.
using WalkieTalkie.Server.Walkie;
using WalkieTalkie.Server.Walkie.Consent;

static class ConsentSpec
{
    public static readonly DeciderSpec<ConsentCommand, Consent, ConsentEvent> Decider = new(ConsentDecider.Decide, ConsentDecider.Evolve, Consent.Initial);

    public static DeciderSpec<ConsentCommand, Consent, ConsentEvent>.Arranged Given(params ConsentEvent[] history) => Decider.Given(history);

    public static readonly DateTimeOffset T0 = new(2025, 11, 24, 9, 0, 0, TimeSpan.Zero);
    public static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);
    public static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public const string Room = "!walkie:example.org";
    public static readonly DeviceRef Alice = new("@alice:example.org", "ALICEPHONE");

    public static GiveConsent Give(TimeSpan? duration = null) => new(Room, Alice, duration);
    public static WithdrawConsent Withdraw(WithdrawReason reason = WithdrawReason.Withdrawn) => new(Room, Alice, reason);
    public static ExpireConsent ExpireDue(DateTimeOffset dueAt) => new(Room, Alice, dueAt);

    public static ConsentGiven Given(DateTimeOffset at, DateTimeOffset? expiresAt) => new(Room, Alice, at, expiresAt);
    public static ConsentWithdrawn Withdrawn(DateTimeOffset at, WithdrawReason reason = WithdrawReason.Withdrawn) => new(Room, Alice, at, reason);
    public static ConsentExpired Expired(DateTimeOffset at, DateTimeOffset expiresAt) => new(Room, Alice, at, expiresAt);
}
