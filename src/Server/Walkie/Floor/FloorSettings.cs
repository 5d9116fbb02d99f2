namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>The room's <c>org.matrix.msc4002.walkie_talkie</c> settings the floor needs; read by the handler.</summary>
public sealed record FloorSettings(bool Queue, int PreemptPowerLevel, TimeSpan MaxTalk, TimeSpan EndOfMedia,
    int EmergencyPowerLevel = 100, int MaxQueuePerUser = 3, int MaxQueue = 50)
{
    public static readonly FloorSettings Default = new(true, 50, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(4));
}

/// <summary>Why the decider refuses a command outright (no event); the handler turns it into a Matrix error.</summary>
public enum FloorRefusal { NoConsent, EmergencyNotAllowed, UserQueueFull, RoomQueueFull, NotModerator }

public sealed class FloorRefused(FloorRefusal refusal, string message) : Exception(message)
{
    public FloorRefusal Refusal { get; } = refusal;
}
