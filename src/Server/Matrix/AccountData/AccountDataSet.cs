namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>Account data was set (global when RoomId is null): event on the user's account data stream.</summary>
public sealed record AccountDataSet(string UserId, string? RoomId, string Type, string ContentJson, DateTimeOffset At);
