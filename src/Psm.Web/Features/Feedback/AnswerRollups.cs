using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Persistence;
using Psm.Web.Infrastructure.Rollups;

namespace Psm.Web.Features.Feedback;

/// <summary>How many answers a survey got on a day with a given score (ADR-015). Every score figure follows exactly from these counts.</summary>
[NotAudited]
public sealed class AnswerDayRollup : IDayRollup
{
    public Guid SurveyId { get; set; }
    public DateOnly Day { get; set; }
    public int Score { get; set; }
    public long Answers { get; set; }
}

internal sealed class AnswerDayRollupConfiguration : IEntityTypeConfiguration<AnswerDayRollup>
{
    public void Configure(EntityTypeBuilder<AnswerDayRollup> rollup)
    {
        rollup.ToTable("AnswerDayRollups");
        rollup.HasKey(r => new { r.SurveyId, r.Day, r.Score });
        rollup.HasOne<Survey>().WithMany().HasForeignKey(r => r.SurveyId).OnDelete(DeleteBehavior.Cascade);
        rollup.HasIndex(r => r.Day);
    }
}

public sealed record DayScore(DateOnly Day, int Score, long Answers);

public static class AnswerRollups
{
    /// <summary>Beyond this many marked days in a period, a reader counts the answers themselves.</summary>
    private const int MostMarkedDays = 62;

    /// <summary>The rollup rows of the days given, from the answers as they are now.</summary>
    public static async Task<List<AnswerDayRollup>> RowsAsync(PsmDb db, IEnumerable<DateOnly> days, CancellationToken ct)
    {
        var rows = new List<AnswerDayRollup>();
        foreach (var (from, to) in Rollup.Ranges(days, 31))
        {
            rows.AddRange(await db.SurveyResponses.Where(r => r.RespondedOn >= from && r.RespondedOn < to)
                .GroupBy(r => new { r.SurveyId, r.RespondedOn, r.Score })
                .Select(g => new AnswerDayRollup { SurveyId = g.Key.SurveyId, Day = g.Key.RespondedOn, Score = g.Key.Score, Answers = g.LongCount() })
                .ToListAsync(ct));
        }

        return rows;
    }

    /// <summary>
    /// The answers per (day, score) of the surveys given, over [from, to): stored days from the rollups, marked days
    /// from the answers. Null when the rollups cannot answer yet (the caller counts the answers).
    /// </summary>
    public static async Task<List<DayScore>?> DayScoresAsync(PsmDb db, IQueryable<Guid> surveys, DateOnly from, DateOnly to, CancellationToken ct)
    {
        if (!await Rollup.ReadyAsync(db, RollupKinds.Answers, ct))
        {
            return null;
        }

        var marked = await Rollup.MarkedDaysAsync(db, RollupKinds.Answers, from, to, ct);
        if (marked.Count > MostMarkedDays)
        {
            return null;
        }

        var stored = await db.AnswerDayRollups.Where(r => r.Day >= from && r.Day < to && surveys.Contains(r.SurveyId))
            .GroupBy(r => new { r.Day, r.Score })
            .Select(g => new DayScore(g.Key.Day, g.Key.Score, g.Sum(r => r.Answers)))
            .ToListAsync(ct);
        var result = stored.Where(d => !marked.Contains(d.Day)).ToList();
        if (marked.Count > 0)
        {
            var days = marked.ToList();
            result.AddRange(await db.SurveyResponses.Where(r => days.Contains(r.RespondedOn) && surveys.Contains(r.SurveyId))
                .GroupBy(r => new { r.RespondedOn, r.Score })
                .Select(g => new DayScore(g.Key.RespondedOn, g.Key.Score, g.LongCount()))
                .ToListAsync(ct));
        }

        return result;
    }
}
