using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.ServiceDesk;

/// <summary>Business-hours calendars and SLA policies: what the service desk promises, and when it works.</summary>
public sealed class SlaSettings(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public async Task<IReadOnlyList<ServiceCalendarDto>> CalendarsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return (await db.ServiceCalendars.AsNoTracking().OrderBy(c => c.Name).ToListAsync(ct)).Select(ToDto).ToList();
    }

    public Task<ServiceCalendarDto> AddCalendarAsync(ServiceCalendarInput input, CancellationToken ct = default) => SaveCalendarAsync(null, input, ct)!;

    /// <summary>
    /// Changes a calendar (next year's holidays, new opening hours). Due times already planned stay as
    /// they were recorded; new tickets, priority changes and resumed clocks use the new hours.
    /// </summary>
    public async Task<ServiceCalendarDto?> UpdateCalendarAsync(Guid id, ServiceCalendarInput input, CancellationToken ct = default) =>
        await SaveCalendarAsync(id, input, ct);

    private async Task<ServiceCalendarDto?> SaveCalendarAsync(Guid? id, ServiceCalendarInput input, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var calendar = id is { } existing ? await db.ServiceCalendars.SingleOrDefaultAsync(c => c.Id == existing, ct) : new ServiceCalendar { CreatedAt = time.GetUtcNow() };
        if (calendar is null)
        {
            return null;
        }

        var problems = new List<(string, string)>();
        var name = input.Name?.Trim() ?? "";
        if (name.Length == 0) problems.Add(("name", "Name is required."));
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(input.TimeZoneId ?? "", out _)) problems.Add(("timeZoneId", $"'{input.TimeZoneId}' is not a time zone this server knows (use an IANA id such as Europe/Berlin)."));
        if (input.WorkingDays is not { Count: > 0 }) problems.Add(("workingDays", "Choose at least one working day."));
        if (input.Closes <= input.Opens) problems.Add(("closes", "The day must close after it opens."));
        if (name.Length > 0 && await db.ServiceCalendars.AnyAsync(c => c.Name == name && c.Id != calendar.Id, ct)) problems.Add(("name", $"There is already a calendar called '{name}'."));
        RequestValidationException.ThrowIfAny(problems);
        calendar.Name = name;
        calendar.TimeZoneId = input.TimeZoneId!;
        calendar.WorkingDays = input.WorkingDays!.Distinct().Order().ToList();
        calendar.Opens = input.Opens;
        calendar.Closes = input.Closes;
        calendar.Holidays = (input.Holidays ?? []).Distinct().Order().ToList();
        if (id is null)
        {
            db.ServiceCalendars.Add(calendar);
        }

        await db.SaveChangesAsync(ct);
        return ToDto(calendar);
    }

    /// <summary>Removes a calendar no policy uses.</summary>
    public async Task<bool> DeleteCalendarAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var calendar = await db.ServiceCalendars.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (calendar is null)
        {
            return false;
        }

        var users = await db.SlaPolicies.Where(p => p.CalendarId == id).Select(p => p.Name).ToListAsync(ct);
        if (users.Count > 0)
        {
            throw new RequestValidationException("id", $"The calendar '{calendar.Name}' is used by {string.Join(", ", users.Select(u => $"'{u}'"))}; give those policies another calendar first.");
        }

        db.ServiceCalendars.Remove(calendar);
        await db.SaveChangesAsync(ct);
        return true;
    }

    public async Task<IReadOnlyList<SlaPolicyDto>> PoliciesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.SlaPolicies.AsNoTracking().OrderBy(p => p.Priority).ThenBy(p => p.Name)
            .Select(p => new SlaPolicyDto(p.Id, p.Name, p.Priority, p.ProductId, p.Plan, p.FirstResponseMinutes, p.ResolutionMinutes,
                new NamedRefDto(p.CalendarId, p.Calendar!.Name)))
            .ToListAsync(ct);
    }

    public Task<SlaPolicyDto> AddPolicyAsync(SlaPolicyInput input, CancellationToken ct = default) => SavePolicyAsync(null, input, ct)!;

    /// <summary>
    /// Changes a policy's targets or scope. Tickets keep the due times recorded when the policy was
    /// chosen; new tickets and priority changes use the new targets.
    /// </summary>
    public async Task<SlaPolicyDto?> UpdatePolicyAsync(Guid id, SlaPolicyInput input, CancellationToken ct = default) => await SavePolicyAsync(id, input, ct);

    private async Task<SlaPolicyDto?> SavePolicyAsync(Guid? id, SlaPolicyInput input, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var policy = id is { } existing ? await db.SlaPolicies.SingleOrDefaultAsync(p => p.Id == existing, ct) : new SlaPolicy { CreatedAt = time.GetUtcNow() };
        if (policy is null)
        {
            return null;
        }

        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(input.Name)) problems.Add(("name", "Name is required."));
        if (input.FirstResponseMinutes <= 0) problems.Add(("firstResponseMinutes", "The first-response target must be at least one minute of business time."));
        if (input.ResolutionMinutes < input.FirstResponseMinutes) problems.Add(("resolutionMinutes", "The resolution target cannot be shorter than the first-response target."));
        if (input.CalendarId is not { } calendarId || !await db.ServiceCalendars.AnyAsync(c => c.Id == calendarId, ct)) problems.Add(("calendarId", "Choose a business-hours calendar."));
        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct)) problems.Add(("productId", "There is no such product."));
        RequestValidationException.ThrowIfAny(problems);
        policy.Name = input.Name.Trim();
        policy.Priority = input.Priority;
        policy.ProductId = input.ProductId;
        policy.Plan = string.IsNullOrWhiteSpace(input.Plan) ? null : input.Plan.Trim();
        policy.FirstResponseMinutes = input.FirstResponseMinutes;
        policy.ResolutionMinutes = input.ResolutionMinutes;
        policy.CalendarId = input.CalendarId!.Value;
        if (id is null)
        {
            db.SlaPolicies.Add(policy);
        }

        await db.SaveChangesAsync(ct);
        return (await PoliciesAsync(ct)).Single(p => p.Id == policy.Id);
    }

    /// <summary>
    /// Removes a policy no ticket has recorded (one added by mistake). A policy tickets ran on stays:
    /// SLA compliance counts the tickets that had one; change its targets instead.
    /// </summary>
    public async Task<bool> DeletePolicyAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var policy = await db.SlaPolicies.SingleOrDefaultAsync(p => p.Id == id, ct);
        if (policy is null)
        {
            return false;
        }

        var tickets = await db.Tickets.CountAsync(t => t.SlaPolicyId == id, ct);
        if (tickets > 0)
        {
            throw new RequestValidationException("id", $"'{policy.Name}' was recorded on {tickets} ticket{(tickets == 1 ? "" : "s")}, so it stays for their history; change its targets instead.");
        }

        db.SlaPolicies.Remove(policy);
        await db.SaveChangesAsync(ct);
        return true;
    }

    private static ServiceCalendarDto ToDto(ServiceCalendar c) => new(c.Id, c.Name, c.TimeZoneId, c.WorkingDays, c.Opens, c.Closes, c.Holidays);
}
