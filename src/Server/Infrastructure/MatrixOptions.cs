namespace WalkieTalkie.Server.Infrastructure;

/// <summary>Homeserver settings, section "Matrix" in configuration.</summary>
public sealed class MatrixOptions
{
    public const string Section = "Matrix";

    /// <summary>The server name in user ids and room ids (@alice:ServerName).</summary>
    public string ServerName { get; set; } = "localhost";

    /// <summary>Base URL advertised in /.well-known/matrix/client; the request's own origin when empty.</summary>
    public string? PublicBaseUrl { get; set; }
}
