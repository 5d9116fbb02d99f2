namespace WalkieTalkie.LocalPostgres;

/// <summary>Per-user folder for state kept between runs ($XDG_STATE_HOME/walkietalkie).</summary>
public static class StateFolder
{
    public static string Root
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
            var baseDir = string.IsNullOrEmpty(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state")
                : xdg;
            return Path.Combine(baseDir, "walkietalkie");
        }
    }
}
