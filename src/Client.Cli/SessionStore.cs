using System.Text.Json;
using System.Text.Json.Nodes;

namespace WalkieTalkie.Client.Cli;

/// <summary>The stored login: one JSON file readable by its owner only (it holds an access token).</summary>
internal static class SessionStore
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>$WALKIE_CONFIG, else $XDG_CONFIG_HOME/walkietalkie/session.json, else ~/.config/walkietalkie/session.json.</summary>
    public static string DefaultPath(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment("WALKIE_CONFIG") is { Length: > 0 } explicitPath)
            return explicitPath;
        string configHome = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(configHome, "walkietalkie", "session.json");
    }

    public static void Save(string path, MatrixCredentials credentials)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
            else Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
        var json = new JsonObject
        {
            ["homeserver"] = credentials.Homeserver.ToString(),
            ["user_id"] = credentials.UserId,
            ["device_id"] = credentials.DeviceId,
            ["access_token"] = credentials.AccessToken,
        };
        // Write a new file created 0600 and move it over the old one, so the token is never readable by others.
        string temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using (var file = new FileStream(temp, options))
            JsonSerializer.Serialize(file, json, new JsonSerializerOptions { WriteIndented = true });
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, OwnerOnly); // a leftover temp file kept its old mode
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The stored session, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a session.</exception>
    public static MatrixCredentials? Load(string path)
    {
        if (!File.Exists(path)) return null;
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
        string Field(string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0
            ? s : throw new InvalidDataException($"{path} lacks \"{name}\": log in again.");
        return new MatrixCredentials(new Uri(Field("homeserver")), Field("user_id"), Field("device_id"), Field("access_token"));
    }
}
