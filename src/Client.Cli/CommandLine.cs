using System.Globalization;
using System.Text;

namespace WalkieTalkie.Client.Cli;

/// <summary>An option: a flag when <see cref="ValueName"/> is null, otherwise it takes a value (<c>--name v</c> or <c>--name=v</c>).</summary>
internal sealed record OptionSpec(string Name, string? ValueName, string Help, bool Required = false)
{
    public bool IsFlag => ValueName is null;
}

internal sealed record CommandSpec(string Name, string Summary, IReadOnlyList<OptionSpec> Options, Func<ParsedCommand, string?>? Validate = null);

/// <summary>The command line is wrong: the message says how, the CLI prints it with the command's usage and exits 2.</summary>
internal sealed class UsageException(string message, string? command = null) : Exception(message)
{
    public string? Command { get; } = command;
}

internal sealed class ParsedCommand(string command, IReadOnlyDictionary<string, string> values, IReadOnlySet<string> flags)
{
    public string Command { get; } = command;
    public IReadOnlyDictionary<string, string> Values { get; } = values;
    public IReadOnlySet<string> Flags { get; } = flags;

    public string? Get(string name) => Values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required.", Command);

    public bool Has(string flag) => Flags.Contains(flag);

    /// <summary>A positive integer option, or null when absent.</summary>
    public long? GetPositiveLong(string name)
    {
        if (Get(name) is not { } text) return null;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value <= 0)
            throw new UsageException($"--{name} must be a positive whole number, not \"{text}\".", Command);
        return value;
    }
}

internal abstract record ParseResult
{
    public sealed record Run(ParsedCommand Command) : ParseResult;
    /// <summary>Help was asked for: general (<see cref="Command"/> null) or of one command.</summary>
    public sealed record Help(string? Command) : ParseResult;
}

/// <summary>A small hand-written parser: <c>walkie [--config PATH] &lt;command&gt; [--option value | --option=value | --flag]...</c>.</summary>
internal static class CommandLine
{
    public const string ConfigOption = "config";

    private static readonly OptionSpec Config = new(ConfigOption, "PATH", "Session file (default: $WALKIE_CONFIG, else $XDG_CONFIG_HOME/walkietalkie/session.json, else ~/.config/walkietalkie/session.json).");
    private static readonly OptionSpec Room = new("room", "ROOM", "Room ID (!id:server) or alias (#name:server).", Required: true);
    private static readonly OptionSpec TokenInQuery = new("token-in-query", null, "Send the access token as ?access_token= on the stream instead of an Authorization header.");

    public static readonly IReadOnlyList<CommandSpec> Commands =
    [
        new("login", "Log in (or register) and store the session for the other commands.",
        [
            new("server", "URL", "Homeserver base URL, e.g. http://127.0.0.1:8008.", Required: true),
            new("user", "USER", "Localpart or full user ID.", Required: true),
            new("password", "PASSWORD", "Password.", Required: true),
            new("register", null, "Register the user first (two-step m.login.dummy), then store that session."),
            new("device-id", "ID", "Log in as this device ID (reuses its consent)."),
            new("device-name", "NAME", "Display name of the new device."),
        ], p => Uri.TryCreate(p.Get("server"), UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? null : $"--server must be an http:// or https:// URL, not \"{p.Get("server")}\"."),
        new("whoami", "Check the stored session against the server and show its user and device.", []),
        new("consent", "Give this device's consent to hear and talk in a room (or withdraw it).",
        [
            Room,
            new("duration-ms", "N", "Consent for N milliseconds; without it, until withdrawn."),
            new("withdraw", null, "Withdraw the consent instead."),
        ], p => p.Has("withdraw") && p.Get("duration-ms") is not null ? "--withdraw takes no --duration-ms." : null),
        new("floor", "Show who holds a room's floor and who is queued.", [Room]),
        new("talk", "Take the floor of a room, send speech from a WAV file or stdin, then release.",
        [
            Room,
            new("wav", "FILE", "48 kHz mono 16-bit WAV to send (convert with: sox in.wav -r 48000 -c 1 -b 16 out.wav)."),
            new("stdin", null, "Send raw 48 kHz mono s16le PCM from stdin until it ends (e.g. arecord -f S16_LE -r 48000 -c 1 -t raw)."),
            new("preempt", null, "Request with priority \"preempt\" (needs the room's preempt power level, above the holder's)."),
            new("record", null, "Record the burst and post it as a voice message (rooms with recording: \"client\")."),
            new("encrypt-attachment", null, "Upload the recording as an encrypted attachment (file instead of url). The event itself is sent unencrypted."),
            new("thread", "EVENT_ID", "Post the voice message in this thread (the walkie session's root)."),
            new("grant-timeout-ms", "N", "Give up waiting for the floor (queue included) after N ms; default 60000."),
            TokenInQuery,
        ], p => (p.Get("wav") is null) == !p.Has("stdin") ? "talk needs exactly one of --wav FILE or --stdin."
            : p.Has("encrypt-attachment") && !p.Has("record") ? "--encrypt-attachment needs --record."
            : p.Get("thread") is not null && !p.Has("record") ? "--thread needs --record." : null),
        new("room create", "Create a walkie-talkie room (walkie-talkie state on), optionally with an alias and invites.",
        [
            new("name", "NAME", "The room's name."),
            new("alias", "LOCALPART", "Publish #LOCALPART:server for the room."),
            new("invite", "USERS", "Invite these users (comma-separated user IDs)."),
            new("encrypted", null, "Turn on end-to-end encryption (m.megolm.v1.aes-sha2). This CLI cannot talk or listen there; the web client can."),
            new("public", null, "Anyone may join (preset public_chat); otherwise invite only."),
        ], p => p.Get("invite") is { } users && users.Split(',').Any(u => !IsUserId(u.Trim()))
            ? $"--invite takes user IDs like @bob:server, not \"{users}\"." : null),
        new("room join", "Join a room by ID or alias (accepts an invite).", [Room]),
        new("room invite", "Invite a user to a room.",
        [
            Room,
            new("user", "USER_ID", "The user to invite, e.g. @bob:server.", Required: true),
        ], p => IsUserId(p.Require("user")) ? null : $"--user must be a user ID like @bob:server, not \"{p.Get("user")}\"."),
        new("room leave", "Leave a room (or decline its invite).", [Room]),
        new("listen", "Hear a room: print floor changes and write each burst as a WAV file.",
        [
            Room,
            new("out", "DIR", "Directory for the WAV files (default: the current directory)."),
            new("seconds", "N", "Stop after N seconds (default: until Ctrl-C)."),
            TokenInQuery,
        ]),
    ];

    public static CommandSpec? Find(string name) => Commands.FirstOrDefault(c => c.Name == name);

    /// <summary>Groups of commands written as two words (<c>walkie room create</c>): the first word and its subcommands.</summary>
    private static IEnumerable<string> SubcommandsOf(string group) =>
        Commands.Where(c => c.Name.StartsWith(group + " ", StringComparison.Ordinal)).Select(c => c.Name[(group.Length + 1)..]);

    private static bool IsUserId(string text) => text.Length > 3 && text[0] == '@' && text.IndexOf(':') > 1;

    /// <exception cref="UsageException">The arguments do not form a valid command.</exception>
    public static ParseResult Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        CommandSpec? command = null;
        bool help = false;

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help" or "help" && (arg != "help" || command is null))
            {
                help = true;
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (command is not null)
                    throw new UsageException($"Unexpected argument \"{arg}\": options start with --.", command.Name);
                if (SubcommandsOf(arg).ToList() is { Count: > 0 } subcommands)
                {
                    if (i + 1 >= args.Count || args[i + 1].StartsWith('-'))
                    {
                        if (i + 1 < args.Count && args[i + 1] is "-h" or "--help") { help = true; i++; continue; }
                        throw new UsageException($"{arg} needs a subcommand: {string.Join(", ", subcommands)}.");
                    }
                    string sub = args[++i];
                    command = Find($"{arg} {sub}") ?? throw new UsageException($"Unknown subcommand \"{arg} {sub}\". Subcommands: {string.Join(", ", subcommands)}.");
                    continue;
                }
                command = Find(arg) ?? throw new UsageException($"Unknown command \"{arg}\". Commands: {string.Join(", ", Commands.Select(c => c.Name))}.");
                continue;
            }

            string name = arg[2..];
            string? inlineValue = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }
            var spec = (name == ConfigOption ? Config : null)
                ?? command?.Options.FirstOrDefault(o => o.Name == name)
                ?? throw new UsageException(command is null
                    ? $"Unknown option --{name} before the command (only --config and --help go there)."
                    : $"Unknown option --{name} for {command.Name}.", command?.Name);
            if (values.ContainsKey(name) || flags.Contains(name))
                throw new UsageException($"--{name} is given twice.", command?.Name);

            if (spec.IsFlag)
            {
                if (inlineValue is not null)
                    throw new UsageException($"--{name} is a flag and takes no value.", command?.Name);
                flags.Add(name);
                continue;
            }
            string? value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"--{name} needs a value ({spec.ValueName}).", command?.Name);
                value = args[++i];
            }
            if (value.Length == 0)
                throw new UsageException($"--{name} needs a non-empty value ({spec.ValueName}).", command?.Name);
            values[name] = value;
        }

        if (help || command is null)
            return new ParseResult.Help(command?.Name);
        foreach (var option in command.Options.Where(o => o.Required))
            if (!values.ContainsKey(option.Name))
                throw new UsageException($"--{option.Name} is required.", command.Name);
        var parsed = new ParsedCommand(command.Name, values, flags);
        if (command.Validate?.Invoke(parsed) is { } problem)
            throw new UsageException(problem, command.Name);
        return new ParseResult.Run(parsed);
    }

    public static string Usage()
    {
        var text = new StringBuilder();
        text.AppendLine("walkie: push-to-talk voice in Matrix rooms (MSC4002 Walkie-Talkie)");
        text.AppendLine();
        text.AppendLine("Usage: walkie [--config PATH] <command> [options]");
        text.AppendLine();
        text.AppendLine("Commands:");
        foreach (var command in Commands)
            text.AppendLine($"  {command.Name,-12} {command.Summary}");
        text.AppendLine();
        text.AppendLine("Options for every command:");
        AppendOption(text, Config);
        text.AppendLine($"  {"-h, --help",-26} Show help; `walkie <command> --help` shows a command's options.");
        text.AppendLine();
        text.AppendLine(ExitCodes.Description);
        return text.ToString();
    }

    public static string Usage(string commandName)
    {
        var command = Find(commandName) ?? throw new ArgumentException($"No command {commandName}.", nameof(commandName));
        var text = new StringBuilder();
        string synopsis = string.Join(' ', command.Options.Select(o =>
        {
            string part = o.IsFlag ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
            return o.Required ? part : $"[{part}]";
        }));
        text.AppendLine($"Usage: walkie {command.Name} {synopsis}".TrimEnd());
        text.AppendLine();
        text.AppendLine(command.Summary);
        if (command.Options.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Options:");
            foreach (var option in command.Options)
                AppendOption(text, option);
        }
        AppendOption(text, Config);
        text.AppendLine();
        text.AppendLine(ExitCodes.Description);
        return text.ToString();
    }

    private static void AppendOption(StringBuilder text, OptionSpec option)
    {
        string left = option.IsFlag ? $"--{option.Name}" : $"--{option.Name} {option.ValueName}";
        text.AppendLine($"  {left,-26} {option.Help}");
    }
}

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int FloorNotGranted = 3;
    public const int FloorRevoked = 4;
    public const int EncryptedRoom = 5;

    public const string Description =
        "Exit codes: 0 done, 1 error (server, network, file), 2 bad usage or not logged in, 3 floor not granted, 4 floor revoked while talking, 5 refused: the room is end-to-end encrypted.";
}
