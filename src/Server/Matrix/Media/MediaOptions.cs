namespace WalkieTalkie.Server.Matrix.Media;

/// <summary>Content repository settings, section "Media".</summary>
public sealed class MediaOptions
{
    public const string Section = "Media";

    /// <summary>Folder for the files; empty: $XDG_STATE_HOME/walkietalkie/media (default ~/.local/state/walkietalkie/media).</summary>
    public string? Path { get; set; }

    /// <summary>Largest accepted upload, advertised as `m.upload.size`.</summary>
    public long MaxUploadBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>Where users are sent when the media store cannot take an upload; empty: mailto:postmaster@{server name}.</summary>
    public string? AdminContact { get; set; }

    public string ResolvedPath()
    {
        if (!string.IsNullOrWhiteSpace(Path)) return System.IO.Path.GetFullPath(Path);
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var state = string.IsNullOrEmpty(xdg)
            ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state")
            : xdg;
        return System.IO.Path.Combine(state, "walkietalkie", "media");
    }
}
