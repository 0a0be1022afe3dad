using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Rollups;

/// <summary>What a daily rollup summarises (ADR-015).</summary>
public static class RollupKinds
{
    /// <summary>Tickets, by the day they were opened, first answered and resolved.</summary>
    public const string Tickets = "tickets";

    /// <summary>Survey answers, by the day they were given.</summary>
    public const string Answers = "answers";

    public static readonly string[] All = [Tickets, Answers];
}

/// <summary>
/// A day whose rollup no longer matches its rows: written in the same transaction as the change, so a
/// committed change always leaves either a fresh rollup or a mark. Readers compute marked days from the
/// rows; the rollup job recomputes them and deletes the marks it read (never one written after).
/// Marks are only ever inserted (no upsert), so writers never wait on each other for them.
/// </summary>
[NotAudited]
public sealed class RollupMark
{
    public Guid Id { get; set; } = NewId.Next();
    public string Kind { get; set; } = "";
    public DateOnly Day { get; set; }
}

/// <summary>
/// That a kind's rollups cover every day: written once, by the job's first run, in the transaction that
/// marks every day holding rows. Until then readers use the rows alone.
/// </summary>
[NotAudited]
public sealed class RollupState
{
    public string Kind { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
}

internal sealed class RollupMarkConfiguration : IEntityTypeConfiguration<RollupMark>, IEntityTypeConfiguration<RollupState>
{
    public void Configure(EntityTypeBuilder<RollupMark> mark)
    {
        mark.ToTable("RollupMarks");
        mark.Property(m => m.Kind).HasMaxLength(20);
        mark.HasIndex(m => new { m.Kind, m.Day });
    }

    public void Configure(EntityTypeBuilder<RollupState> state)
    {
        state.ToTable("RollupStates");
        state.HasKey(s => s.Kind);
        state.Property(s => s.Kind).HasMaxLength(20);
    }
}

public static class RollupMarks
{
    /// <summary>Marks the days given, leaving out those already marked (earlier batches of the same import see their own marks).</summary>
    public static async Task MarkAsync(PsmDb db, string kind, IEnumerable<DateOnly> days, CancellationToken ct)
    {
        var wanted = days.Distinct().ToList();
        if (wanted.Count == 0)
        {
            return;
        }

        var marked = (await db.RollupMarks.Where(m => m.Kind == kind && wanted.Contains(m.Day)).Select(m => m.Day).Distinct().ToListAsync(ct)).ToHashSet();
        db.RollupMarks.AddRange(wanted.Where(d => !marked.Contains(d)).Select(d => new RollupMark { Kind = kind, Day = d }));
        await db.SaveChangesAsync(ct);
    }

    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);
}

/// <summary>
/// Marks the days a tracked change to a ticket or a survey answer touches, in the same SaveChanges.
/// Set-based changes (the SLA monitor, bulk imports) mark their days themselves.
/// </summary>
public sealed class RollupInterceptor : SaveChangesInterceptor
{
    /// <summary>The ticket fields a rollup reads; a change to any other (a reply, the status text) leaves it as it is.</summary>
    private static readonly string[] TicketFields =
    [
        nameof(Ticket.CreatedAt), nameof(Ticket.FirstResponseAt), nameof(Ticket.ResolvedAt), nameof(Ticket.ProductId), nameof(Ticket.ServiceId),
        nameof(Ticket.TeamId), nameof(Ticket.AssigneeId), nameof(Ticket.Channel), nameof(Ticket.Priority), nameof(Ticket.SlaPolicyId),
        nameof(Ticket.FirstResponseBreachedAt), nameof(Ticket.ResolutionBreachedAt), nameof(Ticket.EscalationLevel), nameof(Ticket.Reopened),
        nameof(Ticket.FirstResponseMinutes), nameof(Ticket.ResolutionMinutes),
    ];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Mark(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Mark(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Mark(DbContext? context)
    {
        if (context is not PsmDb db)
        {
            return;
        }

        HashSet<(string Kind, DateOnly Day)>? days = null;
        void Add(string kind, DateTimeOffset? at)
        {
            if (at is { } value)
            {
                (days ??= []).Add((kind, RollupMarks.DayOf(value)));
            }
        }

        foreach (var entry in db.ChangeTracker.Entries<Ticket>())
        {
            if (entry.State is EntityState.Added or EntityState.Deleted || (entry.State == EntityState.Modified && TicketFields.Any(f => entry.Property(f).IsModified)))
            {
                foreach (var field in new[] { nameof(Ticket.CreatedAt), nameof(Ticket.FirstResponseAt), nameof(Ticket.ResolvedAt) })
                {
                    var property = entry.Property(field);
                    Add(RollupKinds.Tickets, (DateTimeOffset?)property.CurrentValue);
                    if (entry.State != EntityState.Added)
                    {
                        Add(RollupKinds.Tickets, (DateTimeOffset?)property.OriginalValue);
                    }
                }
            }
        }

        foreach (var entry in db.ChangeTracker.Entries<SurveyResponse>())
        {
            if (entry.State is EntityState.Added or EntityState.Deleted
                || (entry.State == EntityState.Modified && (entry.Property(r => r.Score).IsModified || entry.Property(r => r.RespondedOn).IsModified || entry.Property(r => r.SurveyId).IsModified)))
            {
                AddDay(entry.Property(r => r.RespondedOn));
            }
        }

        void AddDay(PropertyEntry<SurveyResponse, DateOnly> property)
        {
            (days ??= []).Add((RollupKinds.Answers, property.CurrentValue));
            (days ??= []).Add((RollupKinds.Answers, property.OriginalValue));
        }

        if (days is not null)
        {
            db.RollupMarks.AddRange(days.Select(d => new RollupMark { Kind = d.Kind, Day = d.Day }));
        }
    }
}
