using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.ServiceDesk;

/// <summary>Business hours as stored: a time zone, working days with the same opening hours, and holidays.</summary>
public sealed class ServiceCalendar
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";

    /// <summary>An IANA time zone id, e.g. Europe/Berlin.</summary>
    public string TimeZoneId { get; set; } = "UTC";

    public List<DayOfWeek> WorkingDays { get; set; } = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];
    public TimeOnly Opens { get; set; } = new(9, 0);
    public TimeOnly Closes { get; set; } = new(17, 0);
    public List<DateOnly> Holidays { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }

    public BusinessCalendar ToCalendar() =>
        new(TimeZoneInfo.FindSystemTimeZoneById(TimeZoneId), WorkingDays.Distinct().ToDictionary(d => d, _ => (Opens, Closes)), Holidays);
}

/// <summary>
/// Targets in business time for tickets of a priority, optionally only for one product or one customer
/// plan. The most specific policy that matches a ticket applies.
/// </summary>
public sealed class SlaPolicy
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public TicketPriority Priority { get; set; }
    public Guid? ProductId { get; set; }
    public string? Plan { get; set; }
    public int FirstResponseMinutes { get; set; }
    public int ResolutionMinutes { get; set; }
    public Guid CalendarId { get; set; }
    public ServiceCalendar? Calendar { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class ServiceCalendarInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100)]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Give the time zone, e.g. Europe/Berlin.")]
    public string TimeZoneId { get; set; } = "";

    public List<DayOfWeek> WorkingDays { get; set; } = [];
    public TimeOnly Opens { get; set; } = new(9, 0);
    public TimeOnly Closes { get; set; } = new(17, 0);
    public List<DateOnly> Holidays { get; set; } = [];
}

public sealed class SlaPolicyInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100)]
    public string Name { get; set; } = "";

    public TicketPriority Priority { get; set; }
    public Guid? ProductId { get; set; }

    [StringLength(100)]
    public string? Plan { get; set; }

    public int FirstResponseMinutes { get; set; }
    public int ResolutionMinutes { get; set; }

    [Required(ErrorMessage = "Choose the business-hours calendar.")]
    public Guid? CalendarId { get; set; }
}

public sealed record ServiceCalendarDto(
    Guid Id, string Name, string TimeZoneId, IReadOnlyList<DayOfWeek> WorkingDays, TimeOnly Opens, TimeOnly Closes, IReadOnlyList<DateOnly> Holidays);

public sealed record SlaPolicyDto(
    Guid Id, string Name, TicketPriority Priority, Guid? ProductId, string? Plan, int FirstResponseMinutes, int ResolutionMinutes, NamedRefDto Calendar);

public sealed record NamedRefDto(Guid Id, string Name);

/// <summary>What an SLA needs to know about a ticket to pick its policy.</summary>
public sealed record SlaSubject(TicketPriority Priority, Guid? ProductId, string? Plan);

/// <summary>The SLA arithmetic, pure: which policy applies, due times, and moving the resolution due time over a pause.</summary>
public static class SlaRules
{
    /// <summary>
    /// The policy for a ticket: same priority; a product or plan, when the policy names one, must match;
    /// among those, one naming both beats one naming the product, which beats one naming the plan, which
    /// beats the general one. Ties go to the earliest created.
    /// </summary>
    public static SlaPolicy? Select(IEnumerable<SlaPolicy> policies, SlaSubject ticket) =>
        policies.Where(p => p.Priority == ticket.Priority
                            && (p.ProductId == null || p.ProductId == ticket.ProductId)
                            && (string.IsNullOrEmpty(p.Plan) || string.Equals(p.Plan, ticket.Plan, StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(p => (p.ProductId != null ? 2 : 0) + (string.IsNullOrEmpty(p.Plan) ? 0 : 1))
            .ThenBy(p => p.CreatedAt).ThenBy(p => p.Id)
            .FirstOrDefault();

    /// <summary>
    /// Due times counted from the opening <paramref name="from"/>; the resolution target also moves on by
    /// the business minutes of pause credited to it so far (<see cref="Credit"/>).
    /// </summary>
    public static (DateTimeOffset FirstResponse, DateTimeOffset Resolution) Due(BusinessCalendar calendar, SlaPolicy policy, DateTimeOffset from, double creditedMinutes = 0) =>
        (calendar.Add(from, TimeSpan.FromMinutes(policy.FirstResponseMinutes)), calendar.Add(from, TimeSpan.FromMinutes(policy.ResolutionMinutes + creditedMinutes)));

    /// <summary>
    /// The one pause rule (ADR-007), used when a pause ends, when a policy is chosen again during a pause,
    /// and by the monitor: a pause (pending on the customer) that begins before the resolution is due
    /// stops the clock, so all its business time up to <paramref name="until"/> is credited and the due
    /// time moves on by as much; a pause that begins at or after the due time credits nothing, and the
    /// ticket stays overdue at its original due time.
    /// </summary>
    public static double Credit(BusinessCalendar calendar, DateTimeOffset due, DateTimeOffset pausedAt, DateTimeOffset until) =>
        Stops(pausedAt, due) && until > pausedAt ? calendar.Between(pausedAt, until).TotalMinutes : 0;

    /// <summary>Whether a pause that began at <paramref name="pausedAt"/> stops the clock of a target due at <paramref name="due"/>.</summary>
    public static bool Stops(DateTimeOffset? pausedAt, DateTimeOffset? due) => pausedAt is { } paused && due is { } d && paused < d;

    /// <summary>Business time left before a due time (negative once past it).</summary>
    public static TimeSpan Left(BusinessCalendar calendar, DateTimeOffset due, DateTimeOffset now) =>
        now <= due ? calendar.Between(now, due) : -calendar.Between(due, now);
}

internal sealed class SlaConfiguration : IEntityTypeConfiguration<ServiceCalendar>, IEntityTypeConfiguration<SlaPolicy>
{
    public void Configure(EntityTypeBuilder<ServiceCalendar> calendar)
    {
        calendar.ToTable("ServiceCalendars");
        calendar.Property(c => c.Name).HasMaxLength(100);
        calendar.Property(c => c.TimeZoneId).HasMaxLength(64);
        calendar.Property(c => c.WorkingDays).HasConversion(
                days => string.Join(',', days.Select(d => (int)d)),
                text => text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => (DayOfWeek)int.Parse(d, System.Globalization.CultureInfo.InvariantCulture)).ToList(),
                new ValueComparer<List<DayOfWeek>>((a, b) => a!.SequenceEqual(b!), l => l.Aggregate(0, (h, d) => HashCode.Combine(h, d)), l => l.ToList()))
            .HasMaxLength(20);
        calendar.Property(c => c.Holidays).HasConversion(
                days => string.Join(',', days.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))),
                text => text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToList(),
                new ValueComparer<List<DateOnly>>((a, b) => a!.SequenceEqual(b!), l => l.Aggregate(0, (h, d) => HashCode.Combine(h, d)), l => l.ToList()))
            .HasMaxLength(4000);
    }

    public void Configure(EntityTypeBuilder<SlaPolicy> policy)
    {
        policy.ToTable("SlaPolicies");
        policy.Property(p => p.Name).HasMaxLength(100);
        policy.Property(p => p.Plan).HasMaxLength(100);
        policy.Property(p => p.Priority).HasConversion<string>().HasMaxLength(16);
        policy.HasOne(p => p.Calendar).WithMany().HasForeignKey(p => p.CalendarId).OnDelete(DeleteBehavior.Restrict);
        policy.HasOne<Catalog.Product>().WithMany().HasForeignKey(p => p.ProductId).OnDelete(DeleteBehavior.Cascade);
        policy.HasIndex(p => p.Priority);
    }
}
