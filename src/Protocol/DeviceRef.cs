namespace WalkieTalkie.Protocol;

/// <summary>One device of one user as control messages name it: <c>{"user_id", "device_id"}</c>.</summary>
public sealed record DeviceRef(string UserId, string DeviceId);
