using System.Security.Cryptography;

namespace WalkieTalkie.Server.Infrastructure.Auth;

public sealed class PasswordOptions
{
    public const string Section = "Passwords";

    /// <summary>PBKDF2-HMAC-SHA256 iterations (OWASP 2023: 600,000). Test runs lower it to create users fast.</summary>
    public int Iterations { get; set; } = 600_000;
}

/// <summary>Passwords are stored as `pbkdf2-sha256$iterations$salt$hash`, compared in constant time.</summary>
public sealed class PasswordHasher(IOptions<PasswordOptions> options)
{
    public string Hash(string password)
    {
        var iterations = options.Value.Iterations;
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts is not ["pbkdf2-sha256", var iter, var salt, var hash] || !int.TryParse(iter, out var iterations)) return false;
        var expected = Convert.FromBase64String(hash);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
