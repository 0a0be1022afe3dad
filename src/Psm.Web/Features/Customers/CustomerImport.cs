using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>
/// Imports customers in one transaction, streaming rows into the table. With <c>allOrNothing</c> one
/// rejected row rolls everything back (every problem is still reported); otherwise the valid rows
/// are kept. A row whose external reference is already on file (or earlier in the same file) is
/// skipped, so importing the same file twice creates nothing the second time.
/// </summary>
public sealed class CustomerImport(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public static readonly IReadOnlyList<ImportField> Fields =
    [
        new("name", true, "the company's name"),
        new("email", true, "an address to reach the company"),
        new("country", true, "two-letter ISO code such as DE"),
        new("industry", false, "free text"),
        new("employees", false, "a whole number; 1 when empty"),
        new("externalRef", false, "the customer's id elsewhere; re-imports skip it"),
        new("plan", false, "the plan they are on"),
        new("region", false, "free text, e.g. Europe"),
        new("signupDate", false, "yyyy-MM-dd"),
    ];

    public async Task<CsvImportResult> ImportAsync(
        IAsyncEnumerable<(int Row, CustomerInput Input)> rows, bool allOrNothing = true, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var problems = new List<ImportRowProblem>();
        var rejectedRows = 0;
        var truncated = false;
        var read = 0;
        var imported = 0;
        var duplicates = 0;
        // Customers number in the hundreds of thousands at most: their references fit in memory and
        // save a lookup per row, which the bulk writer's open COPY would not allow anyway.
        var references = (await db.Customers.Where(c => c.ExternalRef != null).Select(c => c.ExternalRef!).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        var fingerprints = await RowFingerprints.KnownAsync(db, nameof(Customer), ct);
        var fresh = new List<string>();

        await using (var writer = BulkWriter<Customer>.Open(db))
        {
            await foreach (var (row, input) in rows.WithCancellation(ct))
            {
                read++;
                var before = problems.Count;
                var valid = RowValidator<CustomerInput>.Instance.Validate(input, (field, message) =>
                {
                    if (problems.Count < CsvImport.MaxReportedProblems)
                    {
                        problems.Add(new ImportRowProblem(row, field, message));
                    }
                    else
                    {
                        truncated = true;
                    }
                });
                if (!valid)
                {
                    rejectedRows++;
                }
                else if (input.ExternalRef is { Length: > 0 } reference && !references.Add(reference.Trim()))
                {
                    duplicates++;
                }
                else if (input.ExternalRef is not { Length: > 0 } && !fingerprints.Add(Fingerprint(input)))
                {
                    // No reference: the row's content is its identity.
                    duplicates++;
                }
                else if (!allOrNothing || rejectedRows == 0)
                {
                    // In all-or-nothing mode nothing more is written after the first rejection; the rest is only checked.
                    var customer = new Customer { CreatedAt = now };
                    customer.Apply(input);
                    await writer.WriteAsync(customer, ct);
                    imported++;
                    if (input.ExternalRef is not { Length: > 0 })
                    {
                        fresh.Add(Fingerprint(input));
                    }
                }

                if (read % 5_000 == 0)
                {
                    progress?.Report(read);
                }
            }

            if (!allOrNothing || rejectedRows == 0)
            {
                await writer.CompleteAsync(ct);
            }
        }

        progress?.Report(read);
        // The writer is closed first: on PostgreSQL an unfinished COPY must end before the rollback.
        if (allOrNothing && rejectedRows > 0)
        {
            await transaction.RollbackAsync(ct);
            return new CsvImportResult(read, 0, duplicates, problems, truncated, Applied: false);
        }

        RowFingerprints.Remember(db, nameof(Customer), fresh, now);
        db.AuditEntries.Add(new AuditEntry
        {
            At = now, UserId = db.CurrentUser?.Actor.UserId, UserName = db.CurrentUser?.Actor.Name ?? "system",
            Action = AuditActions.Imported, Entity = nameof(Customer), EntityKey = "*",
            Changes = JsonSerializer.Serialize(new { rows = imported, duplicates, rejected = rejectedRows }),
        });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new CsvImportResult(read, imported, duplicates, problems, truncated, Applied: true);
    }

    private static string Fingerprint(CustomerInput input) => RowFingerprints.Of(
    [
        input.Name, input.Email, input.Country, input.Industry, input.Employees.ToString(CultureInfo.InvariantCulture), input.Plan, input.Region,
        input.SignupDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    ]);

    /// <summary>Reads customers from CSV: columns chosen by <paramref name="mapping"/>, or by their names (any order, any case).</summary>
    public static async IAsyncEnumerable<(int Row, CustomerInput Input)> ParseCsv(
        TextReader reader, IReadOnlyDictionary<string, string>? mapping = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var (row, field) in CsvImport.RowsAsync(reader, Fields, mapping, ct))
        {
            var employees = field("employees");
            var signup = field("signupDate");
            yield return (row, new CustomerInput
            {
                Name = field("name"),
                Email = field("email"),
                Country = field("country"),
                Industry = field("industry"),
                // An unreadable number becomes an invalid one, so the row is rejected rather than guessed.
                Employees = employees.Length == 0 ? 1
                    : int.TryParse(employees, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1,
                ExternalRef = field("externalRef") is { Length: > 0 } reference ? reference : null,
                Plan = field("plan"),
                Region = field("region"),
                SignupDate = signup.Length > 0 && DateOnly.TryParseExact(signup, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                    ? d : null,
            });
        }
    }
}
