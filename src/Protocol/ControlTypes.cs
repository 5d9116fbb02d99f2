namespace WalkieTalkie.Protocol;

/// <summary>The <c>type</c> strings of the stream's JSON control messages (docs/msc4002.md §8.1).</summary>
public static class ControlTypes
{
    public const string Subscribe = "subscribe";
    public const string Subscribed = "subscribed";
    public const string FloorRequest = "floor.request";
    public const string FloorRelease = "floor.release";
    public const string Ping = "ping";
    public const string Pong = "pong";
    public const string FloorGranted = "floor.granted";
    public const string FloorQueued = "floor.queued";
    public const string FloorDenied = "floor.denied";
    public const string FloorTaken = "floor.taken";
    public const string FloorIdle = "floor.idle";
    public const string FloorRevoked = "floor.revoked";
    public const string Error = "error";
}
