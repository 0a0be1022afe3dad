using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;

namespace Psm.Web.Infrastructure.Http;

/// <summary>A CSV row imported without a source reference, remembered by its content so that importing the file again adds nothing.</summary>
public sealed class ImportedRow
{
    /// <summary>The import it went through: Customer, Order, Subscription.</summary>
    public string Target { get; set; } = "";

    /// <summary>SHA-256 (hex) of the row's mapped field values, trimmed, in the import's field order.</summary>
    public string Hash { get; set; } = "";

    public DateTimeOffset ImportedAt { get; set; }
}

/// <summary>
/// Re-imports are idempotent: a row with a source (external) reference is recognised by it; a row without one by a
/// content hash of its mapped fields, kept per import target. The import report states the rule.
/// </summary>
public static class RowFingerprints
{
    public const string Rule =
        "A row whose external reference is already stored is skipped; a row without one is skipped when every mapped field matches " +
        "a row imported before (or earlier in the file). Skipped rows are counted as duplicates.";

    public static string Of(IEnumerable<string?> values) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', values.Select(v => (v ?? "").Trim())))));

    public static async Task<HashSet<string>> KnownAsync(PsmDb db, string target, CancellationToken ct) =>
        (await db.Set<ImportedRow>().AsNoTracking().Where(r => r.Target == target).Select(r => r.Hash).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Which of these hashes the target already holds (rows written earlier in the same transaction included): one batch's lookup.</summary>
    public static async Task<HashSet<string>> KnownAmongAsync(PsmDb db, string target, IEnumerable<string> hashes, CancellationToken ct)
    {
        var wanted = hashes.Distinct().ToList();
        return wanted.Count == 0
            ? new HashSet<string>(StringComparer.Ordinal)
            : (await db.Set<ImportedRow>().AsNoTracking().Where(r => r.Target == target && wanted.Contains(r.Hash)).Select(r => r.Hash).ToListAsync(ct))
                .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Writes one batch's new hashes at once, inside the import's transaction (nothing is held in memory for the rest of the file).</summary>
    public static async Task WriteAsync(PsmDb db, string target, IReadOnlyCollection<string> hashes, DateTimeOffset at, CancellationToken ct)
    {
        if (hashes.Count == 0)
        {
            return;
        }

        await using var writer = Persistence.BulkWriter<ImportedRow>.Open(db);
        foreach (var hash in hashes)
        {
            await writer.WriteAsync(new ImportedRow { Target = target, Hash = hash, ImportedAt = at }, ct);
        }

        await writer.CompleteAsync(ct);
    }

    public static void Remember(PsmDb db, string target, IEnumerable<string> hashes, DateTimeOffset at) =>
        db.Set<ImportedRow>().AddRange(hashes.Distinct().Select(h => new ImportedRow { Target = target, Hash = h, ImportedAt = at }));
}

internal sealed class ImportedRowConfiguration : IEntityTypeConfiguration<ImportedRow>
{
    public void Configure(EntityTypeBuilder<ImportedRow> row)
    {
        row.ToTable("ImportedRows");
        row.HasKey(r => new { r.Target, r.Hash });
        row.Property(r => r.Target).HasMaxLength(40);
        row.Property(r => r.Hash).HasMaxLength(64);
    }
}
