using WalkieTalkie.Client.Cli;
using WalkieTalkie.Client.Matrix;

namespace WalkieTalkie.Client.Tests;

public class CommandLineTests
{
    private static ParsedCommand Run(params string[] args) => Assert.IsType<ParseResult.Run>(CommandLine.Parse(args)).Command;

    private static string Usage(params string[] args) => Assert.Throws<UsageException>(() => CommandLine.Parse(args)).Message;

    [Fact]
    public void Options_take_values_with_a_space_or_an_equals_sign_and_flags_stand_alone()
    {
        var talk = Run("talk", "--room", "!a:hs", "--wav=speech.wav", "--record", "--thread", "$root:hs");
        Assert.Equal("talk", talk.Command);
        Assert.Equal("!a:hs", talk.Require("room"));
        Assert.Equal("speech.wav", talk.Get("wav"));
        Assert.Equal("$root:hs", talk.Get("thread"));
        Assert.True(talk.Has("record"));
        Assert.False(talk.Has("preempt"));
    }

    [Fact]
    public void Config_goes_before_or_after_the_command()
    {
        Assert.Equal("/tmp/s.json", Run("--config", "/tmp/s.json", "whoami").Get("config"));
        Assert.Equal("/tmp/s.json", Run("consent", "--room", "!a:hs", "--config=/tmp/s.json").Get("config"));
    }

    [Fact]
    public void Numbers_are_checked_where_they_are_read()
    {
        Assert.Equal(3600000, Run("consent", "--room", "!a:hs", "--duration-ms", "3600000").GetPositiveLong("duration-ms"));
        Assert.Null(Run("consent", "--room", "!a:hs").GetPositiveLong("duration-ms"));
        var bad = Run("listen", "--room", "!a:hs", "--seconds", "-5");
        Assert.Contains("--seconds must be a positive whole number", Assert.Throws<UsageException>(() => bad.GetPositiveLong("seconds")).Message);
        Assert.Throws<UsageException>(() => Run("listen", "--room", "!a:hs", "--seconds", "1e3").GetPositiveLong("seconds"));
    }

    [Theory]
    [InlineData("Unknown command \"shout\"", "shout")]
    [InlineData("Unknown option --volume for talk", "talk", "--room", "!a:hs", "--wav", "x.wav", "--volume", "11")]
    [InlineData("--room is required", "talk", "--wav", "x.wav")]
    [InlineData("--room needs a value (ROOM)", "listen", "--room")]
    [InlineData("--room needs a value (ROOM)", "listen", "--room", "--seconds", "3")]
    [InlineData("--room needs a non-empty value", "listen", "--room=")]
    [InlineData("--record is a flag and takes no value", "talk", "--room", "!a:hs", "--wav", "x.wav", "--record=yes")]
    [InlineData("--room is given twice", "floor", "--room", "!a:hs", "--room", "!b:hs")]
    [InlineData("exactly one of --wav FILE or --stdin", "talk", "--room", "!a:hs")]
    [InlineData("exactly one of --wav FILE or --stdin", "talk", "--room", "!a:hs", "--wav", "x.wav", "--stdin")]
    [InlineData("--encrypt-attachment needs --record", "talk", "--room", "!a:hs", "--stdin", "--encrypt-attachment")]
    [InlineData("--withdraw takes no --duration-ms", "consent", "--room", "!a:hs", "--withdraw", "--duration-ms", "5")]
    [InlineData("--server must be an http:// or https:// URL", "login", "--server", "hs.example", "--user", "u", "--password", "p")]
    [InlineData("Unexpected argument \"extra\"", "whoami", "extra")]
    [InlineData("Unknown option --room before the command", "--room", "!a:hs", "talk")]
    public void Wrong_command_lines_say_what_is_wrong(string expected, params string[] args) =>
        Assert.Contains(expected, Usage(args));

    [Fact]
    public void Room_commands_are_two_words_and_help_works_for_them()
    {
        var create = Run("room", "create", "--name", "Ops", "--invite", "@bob:hs, @carol:hs", "--encrypted");
        Assert.Equal(("room create", "Ops", true), (create.Command, create.Get("name"), create.Has("encrypted")));
        Assert.Equal("room join", Run("--config", "/tmp/s.json", "room", "join", "--room", "#ops:hs").Command);
        Assert.Equal(new ParseResult.Help("room leave"), CommandLine.Parse(["room", "leave", "--help"]));
        Assert.Equal(new ParseResult.Help(null), CommandLine.Parse(["room", "--help"]));
        Assert.Contains("Unknown subcommand \"room paint\". Subcommands: create, join, invite, leave", Usage("room", "paint"));
        Assert.Contains("room needs a subcommand", Usage("room", "--room", "!a:hs"));
        Assert.StartsWith("Usage: walkie room invite --room ROOM --user USER_ID", CommandLine.Usage("room invite"));
    }

    [Fact]
    public void Help_is_general_or_per_command()
    {
        Assert.Equal(new ParseResult.Help(null), CommandLine.Parse([]));
        Assert.Equal(new ParseResult.Help(null), CommandLine.Parse(["--help"]));
        Assert.Equal(new ParseResult.Help(null), CommandLine.Parse(["help"]));
        Assert.Equal(new ParseResult.Help("talk"), CommandLine.Parse(["talk", "-h"]));
        Assert.Equal(new ParseResult.Help("talk"), CommandLine.Parse(["help", "talk"]));
        // Help wins over missing options: `walkie talk --help` must not complain about --room.
        Assert.Equal(new ParseResult.Help("listen"), CommandLine.Parse(["listen", "--help"]));

        string usage = CommandLine.Usage();
        foreach (var command in CommandLine.Commands)
            Assert.Contains($"  {command.Name} ", usage);
        string talk = CommandLine.Usage("talk");
        Assert.StartsWith("Usage: walkie talk --room ROOM [--wav FILE] [--stdin]", talk);
        Assert.Contains("Exit codes:", talk);
    }

    [Fact]
    public async Task The_cli_exits_2_with_a_message_for_usage_errors_and_missing_sessions_and_0_for_help()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = await Cli(dir, "talk", "--room", "!a:hs");
        Assert.Equal((2, ""), (code, output));
        Assert.Contains("exactly one of --wav FILE or --stdin", error);

        (code, _, error) = await Cli(dir, "floor", "--room", "!a:hs");
        Assert.Equal(2, code);
        Assert.Contains("Not logged in", error);

        (code, output, _) = await Cli(dir, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage: walkie", output);
    }

    [Fact]
    public async Task Login_stores_the_session_readable_by_its_owner_only()
    {
        using var dir = new TempDirectory();
        var http = new FakeHttpHandler()
            .Answer(System.Net.HttpStatusCode.OK, """{"user_id":"@u:hs","access_token":"secret","device_id":"DEV1","home_server":"hs"}""");
        var (code, output, error) = await Cli(dir, http, "login", "--server", "http://hs.test:8008", "--user", "u", "--password", "pw");

        Assert.True(code == 0, error);
        Assert.Contains("Logged in as @u:hs, device DEV1", output);
        string path = dir.File("cfg/session.json");
        Assert.Equal(new MatrixCredentials(new Uri("http://hs.test:8008"), "@u:hs", "DEV1", "secret"), SessionStore.Load(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.File("cfg")));
        }
        var login = Assert.Single(http.Requests).Json;
        Assert.Equal("m.login.password", login["type"]!.GetValue<string>());
        Assert.Equal("u", login["identifier"]!["user"]!.GetValue<string>());
    }

    [Fact]
    public void The_default_session_path_follows_walkie_config_then_xdg()
    {
        Assert.Equal("/x/s.json", SessionStore.DefaultPath(n => n == "WALKIE_CONFIG" ? "/x/s.json" : null));
        Assert.Equal("/xdg/walkietalkie/session.json", SessionStore.DefaultPath(n => n == "XDG_CONFIG_HOME" ? "/xdg" : null));
        Assert.EndsWith(".config/walkietalkie/session.json", SessionStore.DefaultPath(_ => null));
    }

    internal static Task<(int, string, string)> Cli(TempDirectory dir, params string[] args) => Cli(dir, null, args);

    internal static async Task<(int Code, string Out, string Error)> Cli(TempDirectory dir, HttpMessageHandler? http, params string[] args) =>
        await Cli(dir, http, null, args);

    internal static async Task<(int Code, string Out, string Error)> Cli(TempDirectory dir, HttpMessageHandler? http,
        Client.Live.WebSocketConnector? connector, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment(output, error, () => Stream.Null)
        {
            Handler = http,
            Connector = connector,
            GetEnvironmentVariable = name => name == "WALKIE_CONFIG" ? dir.File("cfg/session.json") : null,
        };
        int code = await WalkieCli.RunAsync(args, env, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
