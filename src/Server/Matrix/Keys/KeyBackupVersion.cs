namespace WalkieTalkie.Server.Matrix.Keys;

/// <summary>GET /room_keys/version: server-side key backup is not offered; clients treat this 404 as "no backup yet".</summary>
public static class KeyBackupVersion
{
    public static void MapKeyBackupVersion(this RouteGroupBuilder v3) =>
        v3.MapGet("/room_keys/version", () => MatrixError.NotFound("No current backup version").ToTypedResult()).RequireAccessToken();
}
