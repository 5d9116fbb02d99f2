using System.Net.Sockets;
using Npgsql;
using WalkieTalkie.Server.Infrastructure;

namespace WalkieTalkie.Server.Tests.Infrastructure;

public sealed class when_the_database_is_unreachable
{
    [Fact]
    public void connection_failures_and_shutdowns_are_outages()
    {
        Assert.True(DatabaseOutage.IsOutage(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(DatabaseOutage.IsOutage(new InvalidOperationException("wrapped", new NpgsqlException("read", new IOException("reset")))));
        Assert.True(DatabaseOutage.IsOutage(new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")));
        Assert.True(DatabaseOutage.IsOutage(new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03")));
    }

    [Fact]
    public void query_errors_and_other_faults_are_not()
    {
        Assert.False(DatabaseOutage.IsOutage(new PostgresException("unsupported Unicode escape sequence", "ERROR", "ERROR", "22P05")));
        Assert.False(DatabaseOutage.IsOutage(new PostgresException("duplicate key", "ERROR", "ERROR", "23505")));
        Assert.False(DatabaseOutage.IsOutage(new InvalidOperationException("bug")));
        Assert.False(DatabaseOutage.IsOutage(null));
    }

    [Fact]
    public void the_outage_answer_is_503_M_UNKNOWN()
    {
        var error = DatabaseOutage.Unavailable();
        Assert.Equal(503, error.Status);
        Assert.Equal("M_UNKNOWN", error.ErrCode);
    }

    [Fact]
    public void only_npgsqls_default_connect_timeout_is_shortened()
    {
        var defaults = new NpgsqlConnectionStringBuilder("Host=h");
        DatabaseOutage.ApplyTimeouts(defaults);
        Assert.Equal(DatabaseOutage.ConnectTimeoutSeconds, defaults.Timeout);
        var chosen = new NpgsqlConnectionStringBuilder("Host=h;Timeout=30");
        DatabaseOutage.ApplyTimeouts(chosen);
        Assert.Equal(30, chosen.Timeout);
    }
}
