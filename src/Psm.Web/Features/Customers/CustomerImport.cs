using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

public sealed record ImportRowError(int Row, string Field, string Message);

public sealed record ImportResult(int RowsRead, int Imported, IReadOnlyList<ImportRowError> Errors, bool ErrorsTruncated)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Imports customers all or nothing: every row is validated, rows stream into the table inside one
/// transaction, and if any row is rejected the transaction is rolled back and each rejection reported.
/// </summary>
public sealed class CustomerImport(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public const int MaxReportedErrors = 500;
    public static readonly string[] Header = ["name", "email", "country", "industry", "employees"];

    public async Task<ImportResult> ImportAsync(
        IAsyncEnumerable<CustomerInput> rows, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var errors = new List<ImportRowError>();
        var truncated = false;
        var rowNumber = 0;
        var imported = 0;

        await using (var writer = BulkWriter<Customer>.Open(db))
        {
            await foreach (var input in rows.WithCancellation(ct))
            {
                rowNumber++;
                if (Validate(input, rowNumber, errors))
                {
                    // After the first rejection nothing more is written; the rest is only validated.
                    if (errors.Count == 0)
                    {
                        var customer = new Customer { CreatedAt = now };
                        customer.Apply(input);
                        await writer.WriteAsync(customer, ct);
                        imported++;
                    }
                }
                else if (errors.Count > MaxReportedErrors)
                {
                    errors.RemoveRange(MaxReportedErrors, errors.Count - MaxReportedErrors);
                    truncated = true;
                }

                if (rowNumber % 5_000 == 0)
                {
                    progress?.Report(rowNumber);
                }
            }

            if (errors.Count == 0)
            {
                await writer.CompleteAsync(ct);
            }
        }

        // The writer is closed first: on PostgreSQL an unfinished COPY must end before the rollback.
        if (errors.Count > 0)
        {
            await transaction.RollbackAsync(ct);
            return new ImportResult(rowNumber, 0, errors, truncated);
        }

        db.AuditEntries.Add(new AuditEntry
        {
            At = now,
            UserId = db.CurrentUser?.Actor.UserId,
            UserName = db.CurrentUser?.Actor.Name ?? "system",
            Action = AuditActions.Imported,
            Entity = nameof(Customer),
            EntityKey = "*",
            Changes = JsonSerializer.Serialize(new { rows = imported }),
        });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        progress?.Report(rowNumber);
        return new ImportResult(rowNumber, imported, [], false);
    }

    /// <summary>Reads CSV with the header row name,email,country,industry,employees (any order, any case).</summary>
    public static async IAsyncEnumerable<CustomerInput> ParseCsv(
        TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        int[]? index = null;
        await foreach (var record in Csv.ReadAsync(reader, ct))
        {
            if (index is null)
            {
                var names = record.Select(h => h.Trim().ToLowerInvariant()).ToList();
                index = Header.Select(h => names.IndexOf(h)).ToArray();
                var missing = Header.Where((_, i) => index[i] < 0 && i < 3).ToList();
                if (missing.Count > 0)
                {
                    throw new RequestValidationException("file",
                        $"The header row must name the columns {string.Join(", ", Header)}; missing: {string.Join(", ", missing)}.");
                }

                continue;
            }

            string Field(int column) => index[column] >= 0 && index[column] < record.Length ? record[index[column]].Trim() : "";
            var employees = Field(4);
            yield return new CustomerInput
            {
                Name = Field(0),
                Email = Field(1),
                Country = Field(2),
                Industry = Field(3),
                Employees = employees.Length == 0 ? 1
                    : int.TryParse(employees, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1,
            };
        }
    }

    private static bool Validate(CustomerInput input, int row, List<ImportRowError> errors) =>
        RowValidator<CustomerInput>.Instance.Validate(input, (field, message) => errors.Add(new ImportRowError(row, field, message)));
}
