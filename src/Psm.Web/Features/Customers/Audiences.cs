using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>Consent, segments and personas: who customers are and what PSM may do with that.</summary>
public sealed class Audiences(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    // ---- consent ----

    public async Task<ConsentStateDto?> ConsentAsync(Guid customerId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await db.Customers.AsNoTracking().SingleOrDefaultAsync(c => c.Id == customerId, ct);
        if (customer is null)
        {
            return null;
        }

        var history = await db.Set<ConsentEvent>().AsNoTracking().Where(e => e.CustomerId == customerId)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Select(e => new ConsentEventDto(e.Id, e.Purpose, e.Granted, e.At, e.Source, e.RecordedBy)).ToListAsync(ct);
        return new ConsentStateDto(customer.ProfilingConsent, customer.MarketingConsent, history, customer.SurveyConsent);
    }

    /// <summary>Grants or withdraws one purpose. It takes effect in the same transaction that records it.</summary>
    public async Task<ConsentStateDto?> RecordConsentAsync(Guid customerId, ConsentInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await db.Customers.SingleOrDefaultAsync(c => c.Id == customerId, ct);
        if (customer is null)
        {
            return null;
        }

        var purpose = input.Purpose!.Value;
        var granted = input.Granted!.Value;
        switch (purpose)
        {
            case ConsentPurpose.Profiling:
                customer.ProfilingConsent = granted;
                break;
            case ConsentPurpose.Marketing:
                customer.MarketingConsent = granted;
                break;
            default:
                customer.SurveyConsent = granted;
                break;
        }

        db.Set<ConsentEvent>().Add(new ConsentEvent
        {
            CustomerId = customerId, Purpose = purpose, Granted = granted, At = time.GetUtcNow(), Source = input.Source.Trim(),
            RecordedBy = (db.CurrentUser?.Actor ?? Actor.System).Name,
        });
        await db.SaveChangesAsync(ct);
        return await ConsentAsync(customerId, ct);
    }

    // ---- contacts ----

    public async Task<IReadOnlyList<ContactDto>?> ContactsAsync(Guid customerId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Customers.AnyAsync(c => c.Id == customerId, ct))
        {
            return null;
        }

        return await db.CustomerContacts.AsNoTracking().Where(c => c.CustomerId == customerId).OrderBy(c => c.Name)
            .Select(c => new ContactDto(c.Id, c.Name, c.Email, c.BouncedAt, c.BounceReason)).ToListAsync(ct);
    }

    public async Task<ContactDto?> AddContactAsync(Guid customerId, ContactInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Customers.AnyAsync(c => c.Id == customerId, ct))
        {
            return null;
        }

        var email = input.Email.Trim();
        if (await db.CustomerContacts.AnyAsync(c => c.CustomerId == customerId && c.Email == email, ct))
        {
            throw new RequestValidationException("email", $"{email} is already a contact of this customer.");
        }

        var contact = new CustomerContact { CustomerId = customerId, Name = input.Name.Trim(), Email = email };
        db.CustomerContacts.Add(contact);
        await db.SaveChangesAsync(ct);
        return new ContactDto(contact.Id, contact.Name, contact.Email);
    }

    public async Task<bool> RemoveContactAsync(Guid customerId, Guid contactId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var contact = await db.CustomerContacts.SingleOrDefaultAsync(c => c.Id == contactId && c.CustomerId == customerId, ct);
        if (contact is null)
        {
            return false;
        }

        db.CustomerContacts.Remove(contact);
        await db.SaveChangesAsync(ct);
        return true;
    }

    // ---- segments ----

    public async Task<IReadOnlyList<SegmentDto>> SegmentsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var segments = await db.Set<Segment>().AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
        var result = new List<SegmentDto>(segments.Count);
        foreach (var segment in segments)
        {
            result.Add(await ToDtoAsync(db, segment, ct));
        }

        return result;
    }

    public async Task<SegmentDto?> SegmentAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var segment = await db.Set<Segment>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        return segment is null ? null : await ToDtoAsync(db, segment, ct);
    }

    /// <summary>How many customers rules would match, before they are saved (the editor's live count).</summary>
    public async Task<(int Members, int LeftOut)> PreviewAsync(SegmentRules rules, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await CountAsync(db, rules, ct);
    }

    public async Task<SegmentDto> CreateSegmentAsync(SegmentInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var segment = new Segment { CreatedAt = time.GetUtcNow() };
        await ApplyAsync(db, segment, input, ct);
        db.Set<Segment>().Add(segment);
        await db.SaveChangesAsync(ct);
        return await ToDtoAsync(db, segment, ct);
    }

    public async Task<SegmentDto?> UpdateSegmentAsync(Guid id, SegmentUpdate input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var segment = await db.Set<Segment>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (segment is null)
        {
            return null;
        }

        db.ExpectVersion(segment, input.Version);
        await ApplyAsync(db, segment, input, ct);
        await db.SaveChangesAsync(ct);
        return await ToDtoAsync(db, segment, ct);
    }

    public async Task<bool> DeleteSegmentAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var segment = await db.Set<Segment>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (segment is null)
        {
            return false;
        }

        var campaigns = await db.Campaigns.Where(c => c.SegmentId == id).OrderBy(c => c.Name).Select(c => c.Name).Take(3).ToListAsync(ct);
        if (campaigns.Count > 0)
        {
            throw new RequestValidationException("segment", $"Campaigns target this segment ({string.Join(", ", campaigns)}): point them at another segment first.");
        }

        db.Remove(segment);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>A page of a segment's members, by name.</summary>
    public async Task<Page<CustomerDto>?> MembersAsync(Guid id, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var segment = await db.Set<Segment>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (segment is null)
        {
            return null;
        }

        var rows = await segment.Rules.Members(db.Customers.AsNoTracking()).After(ListSort.Name, page.After).Ordered(ListSort.Name)
            .Take(page.Limit + 1).ToListAsync(ct);
        return page.ToPage(rows.Select(c => c.ToDto()).ToList(), c => Listing.KeyOf(ListSort.Name, c.Name, c.CreatedAt, c.Id));
    }

    /// <summary>
    /// The ids of a segment's members as a query, for metrics to join against. A segment is named by
    /// its id or its name; an unknown one is a field error.
    /// </summary>
    public static async Task<IQueryable<Guid>> MemberIdsAsync(PsmDb db, string segment, CancellationToken ct)
    {
        var found = Guid.TryParse(segment, out var id)
            ? await db.Set<Segment>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct)
            : await db.Set<Segment>().AsNoTracking().SingleOrDefaultAsync(s => s.Name == segment, ct);
        if (found is null)
        {
            throw new RequestValidationException("segment", $"There is no segment '{segment}'.");
        }

        return found.Rules.Members(db.Customers).Select(c => c.Id);
    }

    private static async Task ApplyAsync(PsmDb db, Segment segment, SegmentInput input, CancellationToken ct)
    {
        var rules = input.Rules ?? new SegmentRules();
        var problems = rules.Problems().ToList();
        var name = input.Name.Trim();
        if (await db.Set<Segment>().AnyAsync(s => s.Name == name && s.Id != segment.Id, ct))
        {
            problems.Add(("name", $"There is already a segment called '{name}'."));
        }

        if (rules.PersonaIds.Count > 0)
        {
            var ids = rules.PersonaIds.Distinct().ToList();
            if (await db.Set<Persona>().CountAsync(p => ids.Contains(p.Id), ct) != ids.Count)
            {
                problems.Add(("rules.personaIds", "One of the personas does not exist."));
            }
        }

        RequestValidationException.ThrowIfAny(problems);
        segment.Name = name;
        segment.Description = input.Description.Trim();
        segment.Rules = Normalise(rules);
    }

    private static SegmentRules Normalise(SegmentRules rules) => new()
    {
        Plans = Clean(rules.Plans), Regions = Clean(rules.Regions), Industries = Clean(rules.Industries),
        MinLifetimeValue = rules.MinLifetimeValue, MaxLifetimeValue = rules.MaxLifetimeValue,
        PersonaIds = rules.PersonaIds.Distinct().ToList(), SignedUpFrom = rules.SignedUpFrom, SignedUpTo = rules.SignedUpTo,
    };

    private static List<string> Clean(List<string>? values) =>
        (values ?? []).Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    private static async Task<SegmentDto> ToDtoAsync(PsmDb db, Segment segment, CancellationToken ct)
    {
        var (members, leftOut) = await CountAsync(db, segment.Rules, ct);
        return new SegmentDto(segment.Id, segment.Name, segment.Description, segment.Rules, segment.Rules.Describe(), members, leftOut,
            segment.CreatedAt, segment.Version);
    }

    private static async Task<(int Members, int LeftOut)> CountAsync(PsmDb db, SegmentRules rules, CancellationToken ct)
    {
        var matching = rules.Apply(db.Customers.AsNoTracking().Where(c => c.ArchivedAt == null));
        var counts = await matching.GroupBy(_ => 1)
            .Select(g => new { All = g.Count(), Consented = g.Count(c => c.ProfilingConsent) })
            .SingleOrDefaultAsync(ct);
        return counts is null ? (0, 0) : (counts.Consented, counts.All - counts.Consented);
    }

    // ---- personas ----

    public async Task<IReadOnlyList<PersonaDto>> PersonasAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var counts = await db.Customers.Where(c => c.PersonaId != null && c.ArchivedAt == null).GroupBy(c => c.PersonaId)
            .Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);
        var personas = await db.Set<Persona>().AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        return personas.Select(p => p.ToDto(counts.GetValueOrDefault(p.Id))).ToList();
    }

    public async Task<PersonaDto?> PersonaAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var persona = await db.Set<Persona>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, ct);
        return persona?.ToDto(await db.Customers.CountAsync(c => c.PersonaId == id && c.ArchivedAt == null, ct));
    }

    public async Task<PersonaDto> CreatePersonaAsync(PersonaInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await EnsureUniquePersonaAsync(db, input.Name, null, ct);
        var persona = new Persona { CreatedAt = time.GetUtcNow() };
        persona.Apply(input);
        db.Set<Persona>().Add(persona);
        await db.SaveChangesAsync(ct);
        return persona.ToDto(0);
    }

    public async Task<PersonaDto?> UpdatePersonaAsync(Guid id, PersonaUpdate input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var persona = await db.Set<Persona>().SingleOrDefaultAsync(p => p.Id == id, ct);
        if (persona is null)
        {
            return null;
        }

        db.ExpectVersion(persona, input.Version);
        await EnsureUniquePersonaAsync(db, input.Name, id, ct);
        persona.Apply(input);
        await db.SaveChangesAsync(ct);
        return await PersonaAsync(id, ct);
    }

    private static async Task EnsureUniquePersonaAsync(PsmDb db, string name, Guid? id, CancellationToken ct)
    {
        var trimmed = name.Trim();
        if (await db.Set<Persona>().AnyAsync(p => p.Name == trimmed && p.Id != id, ct))
        {
            throw new RequestValidationException("name", $"There is already a persona called '{trimmed}'.");
        }
    }
}
