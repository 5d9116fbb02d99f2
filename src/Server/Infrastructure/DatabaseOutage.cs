using System.Net.Sockets;
using Npgsql;

namespace WalkieTalkie.Server.Infrastructure;

/// <summary>
/// PostgreSQL down or restarting: requests answer at once with 503 M_UNKNOWN and `Retry-After`, never hang; the
/// Npgsql pool reconnects on its own once the server is back.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>Seconds to wait for a connection (Npgsql's default is 15): an outage must answer quickly.</summary>
    public const int ConnectTimeoutSeconds = 3;

    /// <summary>Seconds a client is asked to wait before retrying.</summary>
    public const int RetryAfterSeconds = 1;

    public static MatrixError Unavailable() =>
        new("M_UNKNOWN", "The homeserver's database is unavailable; retry shortly") { Status = StatusCodes.Status503ServiceUnavailable };

    /// <summary>A connect timeout for connection strings that keep Npgsql's default.</summary>
    public static void ApplyTimeouts(NpgsqlConnectionStringBuilder connection)
    {
        if (connection.Timeout == NpgsqlDefaultTimeout) connection.Timeout = ConnectTimeoutSeconds;
    }

    const int NpgsqlDefaultTimeout = 15;

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) says the database cannot be reached right now.</summary>
    public static bool IsOutage(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now; 53300: too many connections.
                case PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal)
                                              || p.SqlState is "57P01" or "57P02" or "57P03" or "53300":
                    return true;
                case PostgresException:
                    return false;
                case NpgsqlException { InnerException: SocketException or IOException or TimeoutException }:
                case NpgsqlException n when n.IsTransient:
                case SocketException:
                    return true;
            }
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsOutage)) return true;
        }
        return false;
    }
}
