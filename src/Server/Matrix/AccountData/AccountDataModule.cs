namespace WalkieTalkie.Server.Matrix.AccountData;

/// <summary>Spec module "Client Config": global and per-room account data of the caller.</summary>
public static class AccountDataModule
{
    public static void MapAccountData(this RouteGroupBuilder v3)
    {
        v3.MapSetAccountData();
        v3.MapGetAccountData();
    }

    internal static MatrixError? CheckWrite(string caller, string userId, string type)
    {
        if (caller != userId) return MatrixError.Forbidden("Cannot add account data for other users.");
        if (string.IsNullOrEmpty(type) || type.Length > 255) return MatrixError.InvalidParam("Invalid account data type");
        // Spec (Client Config, Server Behaviour): 405 with M_BAD_JSON, global and per-room alike.
        if (AccountDataStore.ServerManagedTypes.Contains(type))
            return MatrixError.BadJson($"Cannot set {type} through this API.") with { Status = StatusCodes.Status405MethodNotAllowed };
        return null;
    }

    internal static MatrixError? CheckRoomId(string roomId) =>
        roomId.Length > 1 && roomId[0] == '!' && roomId.IndexOf(':') > 1
            ? null
            : MatrixError.InvalidParam($"{roomId} is not a valid room ID.");
}
