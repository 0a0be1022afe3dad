using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

public sealed record CustomerFilter(
    string? Search = null, string? Country = null, bool IncludeArchived = false, ListSort Sort = ListSort.Name);

/// <summary>Everything the customer pages and the customer API do, in one place.</summary>
public sealed class CustomerService(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public async Task<Page<CustomerDto>> ListAsync(CustomerFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await Filtered(db, filter).After(filter.Sort, page.After).Ordered(filter.Sort)
            .Take(page.Limit + 1).ToListAsync(ct);
        return page.ToPage(rows.Select(c => c.ToDto()).ToList(), c => Listing.KeyOf(filter.Sort, c.Name, c.CreatedAt, c.Id));
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
        await foreach (var customer in Filtered(db, filter).Ordered(filter.Sort).AsAsyncEnumerable().WithCancellation(ct))
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
        await CheckReferencesAsync(db, input, ct);
        var customer = new Customer { CreatedAt = time.GetUtcNow() };
        customer.Apply(input);
        db.Customers.Add(customer);
        await db.SaveChangesAsync(ct);
        return customer.ToDto();
    }

    /// <summary>The checks only the database can answer, asked first so each answer names its field.</summary>
    private static async Task CheckReferencesAsync(PsmDb db, CustomerInput input, CancellationToken ct)
    {
        if (input.PersonaId is { } persona && !await db.Personas.AnyAsync(p => p.Id == persona, ct))
        {
            throw new RequestValidationException("personaId", "There is no such persona.");
        }
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

        db.ExpectVersion(customer, update.Version);
        await CheckReferencesAsync(db, update, ct);
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
}
