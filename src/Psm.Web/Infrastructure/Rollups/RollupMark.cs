using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
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
/// A day whose rollup may no longer match its rows. Database triggers on Tickets and SurveyResponses write them in
/// the transaction of every change, however it is made (EF, set-based SQL, cascades, bulk copies, SQL outside PSM),
/// so a committed change always leaves either a fresh rollup or a mark (ADR-015). Readers compute marked days from
/// the rows; the rollup job recomputes them and deletes the marks it read, never one written after.
/// </summary>
[NotAudited]
public sealed class RollupMark
{
    public long Id { get; set; }
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
    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);

    /// <summary>The triggers that write the marks (migration Rollups), by name: the bench drops them to measure what they cost.</summary>
    public static readonly string[] Triggers =
    [
        "RollupMarkTicketsInserted", "RollupMarkTicketsUpdated", "RollupMarkTicketsDeleted",
        "RollupMarkAnswersInserted", "RollupMarkAnswersUpdated", "RollupMarkAnswersDeleted",
    ];
}
