using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Commerce;

/// <summary>Orders and subscriptions: recorded one by one, imported from CSV, read per customer.</summary>
public sealed class Orders(IDbContextFactory<PsmDb> dbs, TimeProvider time, CustomerFigureKeeper figures)
{
    public async Task<IReadOnlyList<OrderDto>> OrdersAsync(Guid? customerId, int limit = 200, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Orders.AsNoTracking();
        if (customerId is { } id) query = query.Where(o => o.CustomerId == id);
        return await query.OrderByDescending(o => o.OrderedOn).ThenByDescending(o => o.Id).Take(Math.Clamp(limit, 1, 1000))
            .Select(o => new OrderDto(o.Id, new NamedRef(o.CustomerId, o.Customer!.Name), new NamedRef(o.ProductId, o.Product!.Name), o.ServiceId,
                o.Amount, o.Currency, o.OrderedOn, o.ExternalRef))
            .ToListAsync(ct);
    }

    public async Task<IReadOnlyList<SubscriptionDto>> SubscriptionsAsync(Guid? customerId, int limit = 200, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Subscriptions.AsNoTracking();
        if (customerId is { } id) query = query.Where(s => s.CustomerId == id);
        return await Project(query.OrderByDescending(s => s.StartedOn).ThenByDescending(s => s.Id).Take(Math.Clamp(limit, 1, 1000))).ToListAsync(ct);
    }

    /// <summary>The import's columns first, in its formats (a re-import of the file skips every row by its reference), then names and ids.</summary>
    public static string[] OrderExportHeader => [.. OrderFields.Select(f => f.Name), "customer", "id"];

    public static string[] SubscriptionExportHeader => [.. SubscriptionFields.Select(f => f.Name), "customer", "id"];

    /// <summary>Every order (of one customer, when given), oldest first, as CSV rows under <see cref="OrderExportHeader"/>; streamed.</summary>
    public async IAsyncEnumerable<string?[]> ExportOrdersAsync(Guid? customerId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Orders.AsNoTracking();
        if (customerId is { } id) query = query.Where(o => o.CustomerId == id);
        var rows = query.OrderBy(o => o.OrderedOn).ThenBy(o => o.Id)
            .Select(o => new { CustomerRef = o.Customer!.ExternalRef, Product = o.Product!.Name, o.Amount, o.Currency, o.OrderedOn, o.ExternalRef, Customer = o.Customer.Name, o.Id })
            .AsAsyncEnumerable().WithCancellation(ct);
        await foreach (var o in rows)
        {
            yield return [o.CustomerRef, o.Product, Csv.Amount(o.Amount), o.Currency, Csv.Day(o.OrderedOn), o.ExternalRef, o.Customer, o.Id.ToString()];
        }
    }

    /// <summary>Every subscription (of one customer, when given), earliest start first, as CSV rows under <see cref="SubscriptionExportHeader"/>; streamed.</summary>
    public async IAsyncEnumerable<string?[]> ExportSubscriptionsAsync(Guid? customerId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Subscriptions.AsNoTracking();
        if (customerId is { } id) query = query.Where(s => s.CustomerId == id);
        var rows = query.OrderBy(s => s.StartedOn).ThenBy(s => s.Id)
            .Select(s => new
            {
                CustomerRef = s.Customer!.ExternalRef, Product = s.Product!.Name, s.Plan, s.MonthlyAmount, s.Currency, s.StartedOn, s.CancelledOn, s.CancelReason,
                s.ExternalRef, Customer = s.Customer.Name, s.Id,
            })
            .AsAsyncEnumerable().WithCancellation(ct);
        await foreach (var s in rows)
        {
            yield return
            [
                s.CustomerRef, s.Product, s.Plan, Csv.Amount(s.MonthlyAmount), s.Currency, Csv.Day(s.StartedOn),
                s.CancelledOn is { } end ? Csv.Day(end) : null, s.CancelReason, s.ExternalRef, s.Customer, s.Id.ToString(),
            ];
        }
    }

    public async Task<OrderDto> AddOrderAsync(OrderInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var problems = await CheckAsync(db, input.CustomerId, input.ProductId, input.ServiceId, input.Currency, input.ExternalRef, isOrder: true, ct);
        if (input.Amount < 0) problems.Add(("amount", "The amount cannot be negative."));
        if (input.OrderedOn is null) problems.Add(("orderedOn", "Give the order's day."));
        RequestValidationException.ThrowIfAny(problems);
        var order = new Order
        {
            CustomerId = input.CustomerId!.Value, ProductId = input.ProductId!.Value, ServiceId = input.ServiceId, Amount = input.Amount,
            Currency = input.Currency.Trim().ToUpperInvariant(), OrderedOn = input.OrderedOn!.Value, ExternalRef = Clean(input.ExternalRef),
            CreatedAt = time.GetUtcNow(),
        };
        db.Orders.Add(order);
        await SaveAndRecomputeAsync(db, order.CustomerId, ct);
        return (await OrdersAsync(order.CustomerId, 1000, ct)).Single(o => o.Id == order.Id);
    }

    public async Task<SubscriptionDto> AddSubscriptionAsync(SubscriptionInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var problems = await CheckAsync(db, input.CustomerId, input.ProductId, input.ServiceId, input.Currency, input.ExternalRef, isOrder: false, ct);
        problems.AddRange(SubscriptionProblems(input.MonthlyAmount, input.StartedOn, input.CancelledOn));
        RequestValidationException.ThrowIfAny(problems);
        var subscription = new Subscription
        {
            CustomerId = input.CustomerId!.Value, ProductId = input.ProductId!.Value, ServiceId = input.ServiceId, Plan = input.Plan.Trim(),
            MonthlyAmount = input.MonthlyAmount, Currency = input.Currency.Trim().ToUpperInvariant(), StartedOn = input.StartedOn!.Value,
            CancelledOn = input.CancelledOn, CancelReason = input.CancelReason.Trim(), ExternalRef = Clean(input.ExternalRef), CreatedAt = time.GetUtcNow(),
        };
        db.Subscriptions.Add(subscription);
        await SaveAndRecomputeAsync(db, subscription.CustomerId, ct);
        return await Project(db.Subscriptions.AsNoTracking().Where(s => s.Id == subscription.Id)).SingleAsync(ct);
    }

    /// <summary>Ends a subscription: the day given is the first it no longer runs.</summary>
    public async Task<SubscriptionDto?> CancelAsync(Guid id, CancellationInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var subscription = await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return null;
        }

        if (subscription.CancelledOn is not null)
        {
            throw new RequestValidationException("cancelledOn", $"It was already cancelled on {subscription.CancelledOn:yyyy-MM-dd}.");
        }

        RequestValidationException.ThrowIfAny(SubscriptionProblems(subscription.MonthlyAmount, subscription.StartedOn, input.CancelledOn).ToList());
        subscription.CancelledOn = input.CancelledOn;
        subscription.CancelReason = input.Reason.Trim();
        await SaveAndRecomputeAsync(db, subscription.CustomerId, ct);
        return await Project(db.Subscriptions.AsNoTracking().Where(s => s.Id == id)).SingleAsync(ct);
    }

    /// <summary>The change and the customer's recomputed lifetime value and churn, in one transaction.</summary>
    private async Task SaveAndRecomputeAsync(PsmDb db, Guid customerId, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await figures.RecomputeAsync(db, customerId, ct);
        await transaction.CommitAsync(ct);
    }

    public static IEnumerable<(string Field, string Message)> SubscriptionProblems(decimal monthlyAmount, DateOnly? startedOn, DateOnly? cancelledOn)
    {
        if (monthlyAmount < 0) yield return ("monthlyAmount", "The monthly amount cannot be negative.");
        if (startedOn is null) yield return ("startedOn", "Give the first day.");
        if (startedOn is { } start && cancelledOn is { } end && end <= start)
        {
            yield return ("cancelledOn", $"A subscription cannot be cancelled before it starts ({start:yyyy-MM-dd}); the cancellation day is the first it no longer runs.");
        }
    }

    public static bool IsCurrency(string? code) => code is { Length: 3 } && code.All(char.IsAsciiLetter);

    // ---- CSV imports ----

    public static readonly IReadOnlyList<ImportField> OrderFields =
    [
        new("customerRef", true, "the customer's external reference"),
        new("product", true, "the product's name"),
        new("amount", true, "the amount, a dot for decimals"),
        new("currency", true, "ISO code, e.g. EUR"),
        new("orderedOn", true, "the day, yyyy-MM-dd"),
        new("externalRef", false, "the order's id where it came from; re-imports skip known ones"),
    ];

    public static readonly IReadOnlyList<ImportField> SubscriptionFields =
    [
        new("customerRef", true, "the customer's external reference"),
        new("product", true, "the product's name"),
        new("plan", false, "the plan"),
        new("monthlyAmount", true, "the monthly amount, a dot for decimals"),
        new("currency", true, "ISO code, e.g. EUR"),
        new("startedOn", true, "the first day, yyyy-MM-dd"),
        new("cancelledOn", false, "the first day it no longer runs, yyyy-MM-dd"),
        new("cancelReason", false, "why it was cancelled"),
        new("externalRef", false, "the subscription's id where it came from; re-imports skip known ones"),
    ];

    public Task<CsvImportResult> ImportOrdersAsync(TextReader reader, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing,
        IProgress<int>? progress = null, CancellationToken ct = default) =>
        ImportAsync(reader, OrderFields, mapping, allOrNothing, progress, nameof(Order), (db, row, field, refs) =>
        {
            var (customer, product, rowProblems) = Resolve(row, field, refs);
            var amount = Number(row, field, "amount", rowProblems);
            var currency = field("currency").ToUpperInvariant();
            if (!IsCurrency(currency)) rowProblems.Add(new ImportRowProblem(row, "currency", $"'{field("currency")}' is not a currency code (three letters)."));
            var day = Day(row, field, "orderedOn", rowProblems, required: true);
            if (amount < 0) rowProblems.Add(new ImportRowProblem(row, "amount", "The amount cannot be negative."));
            return rowProblems.Count > 0 ? (null, rowProblems) : (new Order
            {
                CustomerId = customer!.Value, ProductId = product!.Value, Amount = amount, Currency = currency, OrderedOn = day!.Value,
                ExternalRef = Clean(field("externalRef")), CreatedAt = time.GetUtcNow(),
            }, rowProblems);
        }, ct);

    public Task<CsvImportResult> ImportSubscriptionsAsync(TextReader reader, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing,
        IProgress<int>? progress = null, CancellationToken ct = default) =>
        ImportAsync(reader, SubscriptionFields, mapping, allOrNothing, progress, nameof(Subscription), (db, row, field, refs) =>
        {
            var (customer, product, rowProblems) = Resolve(row, field, refs);
            var amount = Number(row, field, "monthlyAmount", rowProblems);
            var currency = field("currency").ToUpperInvariant();
            if (!IsCurrency(currency)) rowProblems.Add(new ImportRowProblem(row, "currency", $"'{field("currency")}' is not a currency code (three letters)."));
            var start = Day(row, field, "startedOn", rowProblems, required: true);
            var end = Day(row, field, "cancelledOn", rowProblems, required: false);
            rowProblems.AddRange(SubscriptionProblems(amount, start, end).Where(p => p.Field != "startedOn").Select(p => new ImportRowProblem(row, p.Field, p.Message)));
            return rowProblems.Count > 0 ? (null, rowProblems) : (new Subscription
            {
                CustomerId = customer!.Value, ProductId = product!.Value, Plan = field("plan"), MonthlyAmount = amount, Currency = currency,
                StartedOn = start!.Value, CancelledOn = end, CancelReason = field("cancelReason"), ExternalRef = Clean(field("externalRef")),
                CreatedAt = time.GetUtcNow(),
            }, rowProblems);
        }, ct);

    private sealed record Lookups(Dictionary<string, Guid> Customers, Dictionary<string, Guid> Products);

    /// <summary>
    /// Reads every row and checks it against the customers and products by reference; then writes all
    /// (or, when asked, the good rows) in one transaction, skipping external references already stored.
    /// </summary>
    private async Task<CsvImportResult> ImportAsync<T>(
        TextReader reader, IReadOnlyList<ImportField> fields, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing, IProgress<int>? progress,
        string entity, Func<PsmDb, int, Func<string, string>, Lookups, (T? Row, List<ImportRowProblem> Problems)> parse, CancellationToken ct)
        where T : class
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customers = await db.Customers.AsNoTracking().Where(c => c.ExternalRef != null).Select(c => new { c.ExternalRef, c.Id })
            .ToDictionaryAsync(c => c.ExternalRef!, c => c.Id, StringComparer.OrdinalIgnoreCase, ct);
        var products = await db.Products.AsNoTracking().Select(p => new { p.Name, p.Id }).ToDictionaryAsync(p => p.Name, p => p.Id, StringComparer.OrdinalIgnoreCase, ct);
        var lookups = new Lookups(customers, products);
        var known = typeof(T) == typeof(Order)
            ? await db.Orders.Where(o => o.ExternalRef != null).Select(o => o.ExternalRef!).ToListAsync(ct)
            : await db.Subscriptions.Where(s => s.ExternalRef != null).Select(s => s.ExternalRef!).ToListAsync(ct);
        var seen = new HashSet<string>(known, StringComparer.Ordinal);
        var fingerprints = await RowFingerprints.KnownAsync(db, entity, ct);
        var fresh = new List<string>();
        var good = new List<T>();
        var rejected = new List<ImportRowProblem>();
        var read = 0;
        var duplicates = 0;
        await foreach (var (row, field) in CsvImport.RowsAsync(reader, fields, mapping, ct))
        {
            read++;
            var (parsed, problems) = parse(db, row, field, lookups);
            if (parsed is not null)
            {
                problems.AddRange(RecordLimits.Problems(db, parsed).Select(p => new ImportRowProblem(row, p.Field, p.Message)));
                parsed = problems.Count > 0 ? null : parsed;
            }

            var reference = problems.Count > 0 ? null : Clean(field("externalRef"));
            if (problems.Count == 0 && reference is not null && !seen.Add(reference))
            {
                duplicates++;
                continue;
            }

            if (problems.Count == 0 && reference is null)
            {
                // No reference: the row's content is its identity.
                var hash = RowFingerprints.Of(fields.Select(f => field(f.Name)));
                if (!fingerprints.Add(hash))
                {
                    duplicates++;
                    continue;
                }

                fresh.Add(hash);
            }

            if (parsed is null) rejected.AddRange(problems);
            else good.Add(parsed);
            if (read % 1000 == 0) progress?.Report(read);
        }

        progress?.Report(read);
        if (read == 0)
        {
            throw new RequestValidationException("file", "The file has a header but no rows.");
        }

        var report = rejected.Take(CsvImport.MaxReportedProblems).ToList();
        var truncated = rejected.Count > CsvImport.MaxReportedProblems;
        if (rejected.Count > 0 && allOrNothing)
        {
            return new CsvImportResult(read, 0, duplicates, report, truncated, Applied: false);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        db.SuppressRowAudit = true;
        db.AddRange(good);
        RowFingerprints.Remember(db, entity, fresh, time.GetUtcNow());
        var actor = db.CurrentUser?.Actor ?? Actor.System;
        db.AuditEntries.Add(new AuditEntry
        {
            At = time.GetUtcNow(), UserId = actor.UserId, UserName = actor.Name, Action = AuditActions.Imported, Entity = entity, EntityKey = "*",
            Changes = JsonSerializer.Serialize(new { rows = good.Count, duplicates, rejected = rejected.Count }),
        });
        await db.SaveChangesAsync(ct);
        await figures.RecomputeAsync(db, null, ct);
        await transaction.CommitAsync(ct);
        return new CsvImportResult(read, good.Count, duplicates, report, truncated, Applied: true);
    }

    private static (Guid? Customer, Guid? Product, List<ImportRowProblem> Problems) Resolve(int row, Func<string, string> field, Lookups lookups)
    {
        var problems = new List<ImportRowProblem>();
        Guid? customer = lookups.Customers.TryGetValue(field("customerRef"), out var c) ? c : null;
        Guid? product = lookups.Products.TryGetValue(field("product"), out var p) ? p : null;
        if (customer is null) problems.Add(new ImportRowProblem(row, "customerRef", $"No customer has the reference '{field("customerRef")}'."));
        if (product is null) problems.Add(new ImportRowProblem(row, "product", $"There is no product called '{field("product")}'."));
        return (customer, product, problems);
    }

    private static decimal Number(int row, Func<string, string> field, string name, List<ImportRowProblem> problems)
    {
        if (decimal.TryParse(field(name), NumberStyles.Number, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        problems.Add(new ImportRowProblem(row, name, $"'{field(name)}' is not a number (use a dot for decimals)."));
        return 0;
    }

    private static DateOnly? Day(int row, Func<string, string> field, string name, List<ImportRowProblem> problems, bool required)
    {
        var text = field(name);
        if (text.Length == 0 && !required)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        problems.Add(new ImportRowProblem(row, name, $"'{text}' is not a day (yyyy-MM-dd)."));
        return null;
    }

    private static async Task<List<(string, string)>> CheckAsync(
        PsmDb db, Guid? customerId, Guid? productId, Guid? serviceId, string currency, string? externalRef, bool isOrder, CancellationToken ct)
    {
        var problems = new List<(string, string)>();
        if (customerId is null || !await db.Customers.AnyAsync(c => c.Id == customerId, ct))
        {
            problems.Add(("customerId", "There is no such customer."));
        }

        if (productId is null || !await db.Products.AnyAsync(p => p.Id == productId, ct))
        {
            problems.Add(("productId", "There is no such product."));
        }
        else if (serviceId is { } sid && !await db.Services.AnyAsync(s => s.Id == sid && s.ProductId == productId, ct))
        {
            problems.Add(("serviceId", "The product has no such service."));
        }

        if (!IsCurrency(currency?.Trim()))
        {
            problems.Add(("currency", "Give the currency as its three-letter code, e.g. EUR."));
        }

        if (Clean(externalRef) is { } reference &&
            (isOrder ? await db.Orders.AnyAsync(o => o.ExternalRef == reference, ct) : await db.Subscriptions.AnyAsync(s => s.ExternalRef == reference, ct)))
        {
            problems.Add(("externalRef", $"'{reference}' is already stored."));
        }

        return problems;
    }

    private static IQueryable<SubscriptionDto> Project(IQueryable<Subscription> query) =>
        query.Select(s => new SubscriptionDto(s.Id, new NamedRef(s.CustomerId, s.Customer!.Name), new NamedRef(s.ProductId, s.Product!.Name), s.ServiceId,
            s.Plan, s.MonthlyAmount, s.Currency, s.StartedOn, s.CancelledOn, s.CancelReason, s.ExternalRef));

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
