using WalkieTalkie.Server.Walkie.Config;
using WalkieTalkie.Server.Walkie.Consent;

namespace WalkieTalkie.Server.Walkie.Floor;

/// <summary>Everything a batch of floor decisions may look at, loaded once per batch under the room's lock.</summary>
public sealed record FloorScene(RoomState Room, WalkieConfig? Config, DateTimeOffset Now, IReadOnlyDictionary<string, ConsentSnapshot> Consents,
    string? LocalServer = null)
{
    /// <summary>A room whose walkie-talkie was switched off mid-grant still runs its timers, on the defaults.</summary>
    public FloorSettings Settings => (Config ?? WalkieConfig.Default).FloorSettings;

    /// <summary>A local device by its consent stream; another server's device by the member state its server mirrors.</summary>
    public bool HasLiveConsent(DeviceRef device) =>
        LocalServer is not null && FloorHost.ServerOf(device.UserId) is { } server && !FloorHost.IsLocal(server, LocalServer)
            ? FloorHost.HasMirroredConsent(Room, device, Now)
            : ConsentSnapshot.IsLive(Consents.GetValueOrDefault(ConsentStream.Id(Room.Id, device)), Now);

    /// <summary>Joined and consenting now: may hold the floor, may be handed it from the queue.</summary>
    public bool Eligible(DeviceRef device) => Room.IsJoined(device.UserId) && HasLiveConsent(device);

    public int PowerLevel(string userId) => Clamp(Room.PowerLevels.Of(userId));

    public int KickLevel => Clamp(Room.PowerLevels.Kick);

    static int Clamp(long level) => (int)Math.Clamp(level, int.MinValue, int.MaxValue);
}
