using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Customers;

public enum CustomerSort { Name, NameDescending, Newest, Oldest }

public sealed record CustomerFilter(
    string? Search = null, string? Country = null, bool IncludeArchived = false, CustomerSort Sort = CustomerSort.Name);

/// <summary>Everything the customer pages and the customer API do, in one place.</summary>
public sealed class CustomerService(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public async Task<Page<CustomerDto>> ListAsync(CustomerFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = After(Filtered(db, filter), filter.Sort, page.After);
        var rows = await Ordered(query, filter.Sort).Take(page.Limit + 1).ToListAsync(ct);
        return page.ToPage(rows.Select(c => c.ToDto()).ToList(), c => KeyOf(c, filter.Sort));
    }

    public async Task<int> CountAsync(CustomerFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Filtered(db, filter).CountAsync(ct);
    }

    /// <summary>Every matching customer in list order, streamed: an export never holds the table in memory.</summary>
    public async IAsyncEnumerable<CustomerDto> StreamAsync(
        CustomerFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await foreach (var customer in Ordered(Filtered(db, filter), filter.Sort).AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return customer.ToDto();
        }
    }

    public async Task<CustomerDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await db.Customers.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        return customer?.ToDto();
    }

    public async Task<CustomerDto> CreateAsync(CustomerInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = new Customer { CreatedAt = time.GetUtcNow() };
        customer.Apply(input);
        db.Customers.Add(customer);
        await db.SaveChangesAsync(ct);
        return customer.ToDto();
    }

    /// <summary>Applies an edit made against <paramref name="update"/>'s version; a stale version throws a conflict.</summary>
    public async Task<CustomerDto?> UpdateAsync(Guid id, CustomerUpdate update, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await db.Customers.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (customer is null)
        {
            return null;
        }

        db.Entry(customer).Property(c => c.Version).OriginalValue = update.Version!.Value;
        if (customer.Version != update.Version)
        {
            throw new DbUpdateConcurrencyException(ProblemExceptionHandler.StaleRecordMessage);
        }

        customer.Apply(update);
        await db.SaveChangesAsync(ct);
        return customer.ToDto();
    }

    public async Task<CustomerDto?> SetArchivedAsync(Guid id, bool archived, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await db.Customers.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (customer is null)
        {
            return null;
        }

        if (customer.ArchivedAt is null == archived)
        {
            customer.ArchivedAt = archived ? time.GetUtcNow() : null;
            await db.SaveChangesAsync(ct);
        }

        return customer.ToDto();
    }

    /// <summary>Removes a customer for good. Only admins may, and only an archived customer.</summary>
    public async Task<bool> PurgeAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await db.Customers.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (customer is null)
        {
            return false;
        }

        if (customer.ArchivedAt is null)
        {
            throw new RequestValidationException("id", "Archive the customer before purging it.");
        }

        db.Customers.Remove(customer);
        await db.SaveChangesAsync(ct);
        return true;
    }

    private static IQueryable<Customer> Filtered(PsmDb db, CustomerFilter filter)
    {
        var query = db.Customers.AsNoTracking();
        if (!filter.IncludeArchived)
        {
            query = query.Where(c => c.ArchivedAt == null);
        }

        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var term = filter.Search.Trim().ToLowerInvariant();
            query = query.Where(c => c.Name.ToLower().Contains(term) || c.Email.ToLower().Contains(term));
        }

        if (!string.IsNullOrWhiteSpace(filter.Country))
        {
            var country = filter.Country.Trim().ToUpperInvariant();
            query = query.Where(c => c.Country == country);
        }

        return query;
    }

    private static IQueryable<Customer> Ordered(IQueryable<Customer> query, CustomerSort sort) => sort switch
    {
        CustomerSort.NameDescending => query.OrderByDescending(c => c.Name).ThenByDescending(c => c.Id),
        CustomerSort.Newest => query.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id),
        CustomerSort.Oldest => query.OrderBy(c => c.CreatedAt).ThenBy(c => c.Id),
        _ => query.OrderBy(c => c.Name).ThenBy(c => c.Id),
    };

    private static IQueryable<Customer> After(IQueryable<Customer> query, CustomerSort sort, IReadOnlyList<string>? after)
    {
        if (after is null)
        {
            return query;
        }

        if (after.Count != 2 || !Guid.TryParse(after[1], out var id))
        {
            throw new RequestValidationException("cursor", "The cursor does not belong to this list.");
        }

        switch (sort)
        {
            case CustomerSort.Newest or CustomerSort.Oldest:
                if (!DateTimeOffset.TryParse(after[0], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
                {
                    throw new RequestValidationException("cursor", "The cursor does not belong to this list.");
                }

                return sort == CustomerSort.Newest
                    ? query.Where(c => c.CreatedAt < at || (c.CreatedAt == at && c.Id.CompareTo(id) < 0))
                    : query.Where(c => c.CreatedAt > at || (c.CreatedAt == at && c.Id.CompareTo(id) > 0));
            case CustomerSort.NameDescending:
                return query.Where(c => string.Compare(c.Name, after[0]) < 0 || (c.Name == after[0] && c.Id.CompareTo(id) < 0));
            default:
                return query.Where(c => string.Compare(c.Name, after[0]) > 0 || (c.Name == after[0] && c.Id.CompareTo(id) > 0));
        }
    }

    private static string[] KeyOf(CustomerDto c, CustomerSort sort) => sort switch
    {
        CustomerSort.Newest or CustomerSort.Oldest => [c.CreatedAt.ToString("O", CultureInfo.InvariantCulture), c.Id.ToString()],
        _ => [c.Name, c.Id.ToString()],
    };
}
