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

    public async Task<ServiceCalendarDto> AddCalendarAsync(ServiceCalendarInput input, CancellationToken ct = default)
    {
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(input.Name)) problems.Add(("name", "Name is required."));
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(input.TimeZoneId ?? "", out _)) problems.Add(("timeZoneId", $"'{input.TimeZoneId}' is not a time zone this server knows (use an IANA id such as Europe/Berlin)."));
        if (input.WorkingDays is not { Count: > 0 }) problems.Add(("workingDays", "Choose at least one working day."));
        if (input.Closes <= input.Opens) problems.Add(("closes", "The day must close after it opens."));
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.ServiceCalendars.AnyAsync(c => c.Name == input.Name.Trim(), ct)) problems.Add(("name", $"There is already a calendar called '{input.Name.Trim()}'."));
        RequestValidationException.ThrowIfAny(problems);
        var calendar = new ServiceCalendar
        {
            Name = input.Name.Trim(), TimeZoneId = input.TimeZoneId!, WorkingDays = input.WorkingDays.Distinct().Order().ToList(), Opens = input.Opens,
            Closes = input.Closes, Holidays = (input.Holidays ?? []).Distinct().Order().ToList(), CreatedAt = time.GetUtcNow(),
        };
        db.ServiceCalendars.Add(calendar);
        await db.SaveChangesAsync(ct);
        return ToDto(calendar);
    }

    public async Task<IReadOnlyList<SlaPolicyDto>> PoliciesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.SlaPolicies.AsNoTracking().OrderBy(p => p.Priority).ThenBy(p => p.Name)
            .Select(p => new SlaPolicyDto(p.Id, p.Name, p.Priority, p.ProductId, p.Plan, p.FirstResponseMinutes, p.ResolutionMinutes,
                new NamedRefDto(p.CalendarId, p.Calendar!.Name)))
            .ToListAsync(ct);
    }

    public async Task<SlaPolicyDto> AddPolicyAsync(SlaPolicyInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(input.Name)) problems.Add(("name", "Name is required."));
        if (input.FirstResponseMinutes <= 0) problems.Add(("firstResponseMinutes", "The first-response target must be at least one minute of business time."));
        if (input.ResolutionMinutes < input.FirstResponseMinutes) problems.Add(("resolutionMinutes", "The resolution target cannot be shorter than the first-response target."));
        if (input.CalendarId is not { } calendarId || !await db.ServiceCalendars.AnyAsync(c => c.Id == calendarId, ct)) problems.Add(("calendarId", "Choose a business-hours calendar."));
        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct)) problems.Add(("productId", "There is no such product."));
        RequestValidationException.ThrowIfAny(problems);
        var policy = new SlaPolicy
        {
            Name = input.Name.Trim(), Priority = input.Priority, ProductId = input.ProductId, Plan = string.IsNullOrWhiteSpace(input.Plan) ? null : input.Plan.Trim(),
            FirstResponseMinutes = input.FirstResponseMinutes, ResolutionMinutes = input.ResolutionMinutes, CalendarId = input.CalendarId!.Value,
            CreatedAt = time.GetUtcNow(),
        };
        db.SlaPolicies.Add(policy);
        await db.SaveChangesAsync(ct);
        return (await PoliciesAsync(ct)).Single(p => p.Id == policy.Id);
    }

    private static ServiceCalendarDto ToDto(ServiceCalendar c) => new(c.Id, c.Name, c.TimeZoneId, c.WorkingDays, c.Opens, c.Closes, c.Holidays);
}
