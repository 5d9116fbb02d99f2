using System.Text.RegularExpressions;
using WalkieTalkie.Client.Cli;
using WalkieTalkie.Client.Matrix;

namespace WalkieTalkie.Server.IntegrationTests.Clients;

/// <summary>
/// The <c>walkie</c> CLI in-process over real HTTP against this server: a terminal user creates, joins, invites and leaves
/// walkie-talkie rooms, and the CLI refuses to talk or listen in an encrypted room instead of sending voice in clear.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed partial class when_a_terminal_user_sets_up_a_room(IntegrationFixture fixture) : IDisposable
{
    readonly WalkieHost _host = fixture.Server;
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("walkie-cli-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task create_join_invite_and_leave_change_the_rooms_members()
    {
        string name = "cli" + Guid.NewGuid().ToString("N")[..8];
        var (code, _, error) = await Cli("alice", "login", "--server", _host.BaseAddress.ToString(), "--user", name, "--password", "pw pw pw", "--register");
        Assert.True(code == 0, error);
        var alice = SessionStore.Load(SessionPath("alice"))!;
        var bob = await Session("bob");
        var carol = await Session("carol");
        string server = alice.UserId[(alice.UserId.IndexOf(':') + 1)..];

        (code, var output, error) = await Cli("alice", "room", "create", "--name", "Ops", "--alias", name, "--invite", bob.UserId);
        Assert.True(code == 0, error);
        string roomId = RoomIdIn().Match(output).Value;
        Assert.StartsWith("!", roomId);
        Assert.Contains($"Alias: #{name}:{server}", output);

        (code, output, error) = await Cli("bob", "room", "join", "--room", $"#{name}:{server}");
        Assert.True(code == 0, error);
        Assert.Contains($"Joined {roomId}.", output);
        Assert.Contains($"walkie consent --room {roomId}", output);

        (code, _, error) = await Cli("alice", "room", "invite", "--room", roomId, "--user", carol.UserId);
        Assert.True(code == 0, error);
        (code, _, error) = await Cli("carol", "room", "join", "--room", roomId);
        Assert.True(code == 0, error);
        Assert.Equal(Sorted(alice.UserId, bob.UserId, carol.UserId), await JoinedMembers(alice, roomId));

        (code, output, error) = await Cli("bob", "room", "leave", "--room", roomId);
        Assert.True(code == 0, error);
        Assert.Contains($"Left {roomId}", output);
        Assert.Equal(Sorted(alice.UserId, carol.UserId), await JoinedMembers(alice, roomId));

        // The room is a walkie-talkie room: consent and the floor work at once.
        (code, _, error) = await Cli("alice", "consent", "--room", roomId);
        Assert.True(code == 0, error);
        (code, output, _) = await Cli("alice", "floor", "--room", roomId);
        Assert.Equal((0, $"{roomId}: idle (last epoch 0)."), (code, output.Trim()));

        // What the server refuses comes back as its Matrix error: bob left, so he may not invite.
        var dave = await Session("dave");
        (code, _, error) = await Cli("bob", "room", "invite", "--room", roomId, "--user", dave.UserId);
        Assert.Equal(1, code);
        Assert.Contains("M_FORBIDDEN", error);
    }

    [Fact]
    public async Task talking_or_listening_in_an_encrypted_room_is_refused_and_nothing_reaches_the_floor()
    {
        var alice = await Session("alice");
        var bob = await Session("bob");
        var (code, output, error) = await Cli("alice", "room", "create", "--encrypted", "--invite", bob.UserId);
        Assert.True(code == 0, error);
        Assert.Contains("end-to-end encrypted", output);
        string roomId = RoomIdIn().Match(output).Value;
        (code, output, error) = await Cli("bob", "room", "join", "--room", roomId);
        Assert.True(code == 0, error);
        Assert.Contains("web client", output);
        (code, _, error) = await Cli("alice", "consent", "--room", roomId);
        Assert.True(code == 0, error);

        string wav = Path.Combine(_dir.FullName, "missing.wav"); // never opened: the refusal comes first
        (code, _, error) = await Cli("alice", "talk", "--room", roomId, "--wav", wav);
        Assert.Equal(ExitCodes.EncryptedRoom, code);
        Assert.Contains($"{roomId} is end-to-end encrypted", error);
        Assert.Contains("will not talk there", error);
        (code, _, error) = await Cli("bob", "listen", "--room", roomId, "--seconds", "1");
        Assert.Equal(ExitCodes.EncryptedRoom, code);
        Assert.Contains("will not listen there", error);

        (code, output, _) = await Cli("alice", "floor", "--room", roomId);
        Assert.Equal((0, $"{roomId}: idle (last epoch 0)."), (code, output.Trim()));
        using var session = new MatrixSession(alice);
        Assert.True(await session.IsEncryptedAsync(roomId));
    }

    [Fact]
    public async Task room_without_a_subcommand_or_with_a_bad_user_is_a_usage_error()
    {
        var (code, _, error) = await Cli("alice", "room");
        Assert.Equal(2, code);
        Assert.Contains("room needs a subcommand: create, join, invite, leave", error);
        (code, _, error) = await Cli("alice", "room", "invite", "--room", "!a:hs", "--user", "bob");
        Assert.Equal(2, code);
        Assert.Contains("--user must be a user ID like @bob:server", error);
        (code, _, error) = await Cli("alice", "room", "create", "--invite", "@bob:hs,carol");
        Assert.Equal(2, code);
        Assert.Contains("--invite takes user IDs", error);
    }

    string SessionPath(string who) => Path.Combine(_dir.FullName, who, "session.json");

    async Task<MatrixCredentials> Session(string who)
    {
        var client = await MatrixTestClient.RegisterAsync(_host);
        var credentials = new MatrixCredentials(_host.BaseAddress, client.UserId, client.DeviceId, client.AccessToken);
        SessionStore.Save(SessionPath(who), credentials);
        return credentials;
    }

    async Task<(int Code, string Out, string Error)> Cli(string who, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var env = new CliEnvironment(output, error, () => Stream.Null)
        {
            GetEnvironmentVariable = name => name == "WALKIE_CONFIG" ? SessionPath(who) : null,
        };
        int code = await WalkieCli.RunAsync(args, env, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    static string[] Sorted(params string[] userIds) => [.. userIds.Order(StringComparer.Ordinal)];

    static async Task<string[]> JoinedMembers(MatrixCredentials who, string roomId)
    {
        using var session = new MatrixSession(who);
        var body = await session.SendAsync(HttpMethod.Get, $"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/joined_members", null);
        return [.. body["joined"]!.AsObject().Select(m => m.Key).Order(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"![A-Za-z0-9]+:[^\s.""]+(\.[^\s.""]+)*")]
    private static partial Regex RoomIdIn();
}
