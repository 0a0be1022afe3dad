using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Account;

public enum ApiKeyScope { Read, ReadWrite }

/// <summary>A personal API key. Only a SHA-256 hash of the secret is stored; the secret is shown once.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid UserId { get; set; }
    public PsmUser? User { get; set; }
    public string Name { get; set; } = "";

    /// <summary>The public part of the key, used to find it without scanning hashes.</summary>
    public string Prefix { get; set; } = "";

    [NotAudited]
    public string Hash { get; set; } = "";

    public ApiKeyScope Scope { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>After this time the key is refused (401); null: it does not expire.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Areas of the permission matrix the key may be used in (comma-separated); empty: every area its owner's roles allow.</summary>
    public string Areas { get; set; } = "";

    public bool IsRevoked => RevokedAt is not null;

    public const string HeaderName = "X-Api-Key";
    private const string Marker = "psm";

    /// <summary>Makes a new key: the token to show once, and the record to store.</summary>
    public static (string Token, ApiKey Key) Issue(Guid userId, string name, ApiKeyScope scope, DateTimeOffset now)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = $"{Marker}_{prefix}_{secret}";
        return (token, new ApiKey
        {
            UserId = userId,
            Name = name,
            Prefix = prefix,
            Hash = HashOf(token),
            Scope = scope,
            CreatedAt = now,
        });
    }

    /// <summary>Splits a presented token into its prefix, or null when it is not shaped like a PSM key.</summary>
    public static string? PrefixOf(string token)
    {
        var parts = token.Split('_', 3);
        return parts is [Marker, { Length: 12 } prefix, { Length: > 0 }] ? prefix : null;
    }

    public bool Matches(string token) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash), Encoding.ASCII.GetBytes(HashOf(token)));

    private static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> key)
    {
        key.ToTable("ApiKeys");
        key.Property(k => k.Name).HasMaxLength(100);
        key.Property(k => k.Prefix).HasMaxLength(12);
        key.Property(k => k.Hash).HasMaxLength(64);
        key.Property(k => k.Scope).HasConversion<string>().HasMaxLength(16);
        key.Property(k => k.Areas).HasMaxLength(1000);
        key.HasIndex(k => k.Prefix).IsUnique();
        key.HasIndex(k => k.UserId);
        key.HasOne(k => k.User).WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
        key.Ignore(k => k.IsRevoked);
    }
}
