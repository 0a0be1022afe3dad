using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Feedback;

/// <summary>
/// NPS, CSAT and CES over every survey of that kind, and the response count, as registry metrics.
/// The database sums per day; the buckets are rolled up from those exact sums.
/// </summary>
public sealed class SurveyMetric(string key, string name, string unit, SurveyKind? kind, string description, bool outcome = false) : IRolledUpMetric
{
    private static readonly MetricDimension[] Cuts =
        [MetricDimension.Period, MetricDimension.Product, MetricDimension.Service, MetricDimension.Segment, MetricDimension.Persona];

    public static SurveyMetric Nps() => new("survey.nps", "Net Promoter Score", "points", SurveyKind.Nps,
        "% promoters (9-10) minus % detractors (0-6) over NPS answers given in the period.", outcome: true);

    public static SurveyMetric Csat() => new("survey.csat", "Customer satisfaction (CSAT)", "%", SurveyKind.Csat,
        "% of CSAT answers that are 4 or 5.", outcome: true);

    public static SurveyMetric Ces() => new("survey.ces", "Customer effort score (CES)", "score (1-7)", SurveyKind.Ces,
        "Mean CES answer; higher means less effort.");

    public static SurveyMetric Responses() => new("survey.responses", "Survey responses", "responses", null,
        "Answers to any survey in the period.");

    // Every one of them is better higher: CES is asked as "how easy was it", 7 being easiest.
    public MetricDefinition Definition { get; } = new(key, name, unit, BetterDirection.Up, Cuts, description, outcome);

    public bool ReadsRollups => true;

    /// <summary>From the daily rollups unless the query cuts by segment or persona (who belongs to them changes; those read the answers).</summary>
    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        if (await RolledDaysAsync(db, query, ct) is { } days)
        {
            var sum = days.Aggregate(default(Tally), (total, d) => total + d.Tally);
            return kind is { } k ? SurveyScores.Estimate(k, sum) is { } estimate ? Math.Round(estimate.Value, 2) : null : sum.N;
        }

        return await EvaluateRawAsync(db, query, ct);
    }

    public async Task<double?> EvaluateRawAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var responses = await ResponsesAsync(db, query, kind, ct);
        if (kind is not { } k)
        {
            return await responses.CountAsync(ct);
        }

        return SurveyScores.Estimate(k, await Surveys.TallyAsync(responses, k, ct)) is { } estimate ? Math.Round(estimate.Value, 2) : null;
    }

    public async Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct)
    {
        var days = await RolledDaysAsync(db, query, ct) ?? await Surveys.TallyByDayAsync(await ResponsesAsync(db, query, kind, ct), kind ?? SurveyKind.Nps, ct);
        return Surveys.Roll(days, query.From, query.To, granularity)
            .Where(b => b.Tally.N > 0)
            .Select(b => new MetricPoint(b.Bucket, kind is { } k ? Math.Round(SurveyScores.Estimate(k, b.Tally)!.Value, 2) : b.Tally.N))
            .ToList();
    }

    /// <summary>A tally per day from the rollups, or null when they cannot answer the query.</summary>
    private async Task<List<(DateOnly Day, Tally Tally)>?> RolledDaysAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        if (query.Segment is not null || query.PersonaId is not null)
        {
            return null;
        }

        var surveys = db.Surveys.AsNoTracking();
        if (kind is { } k) surveys = surveys.Where(s => s.Kind == k);
        if (query.ProductId is { } product) surveys = surveys.Where(s => s.ProductId == product);
        if (query.ServiceId is { } service) surveys = surveys.Where(s => s.ServiceId == service);
        var scores = await AnswerRollups.DayScoresAsync(db, surveys.Select(s => s.Id), query.From, query.To, ct);
        return scores?.GroupBy(d => d.Day)
            .Select(g => (g.Key, g.Aggregate(default(Tally), (sum, d) => sum + Surveys.Times(Tally.Of(kind ?? SurveyKind.Nps, d.Score), d.Answers))))
            .OrderBy(d => d.Key).ToList();
    }

    /// <summary>The answers a query covers. Segment and persona cuts leave out customers who did not consent to profiling.</summary>
    internal static async Task<IQueryable<SurveyResponse>> ResponsesAsync(PsmDb db, MetricQuery query, SurveyKind? kind, CancellationToken ct)
    {
        var (from, to) = (query.From, query.To);
        var responses = db.Set<SurveyResponse>().AsNoTracking().Where(r => r.RespondedOn >= from && r.RespondedOn < to);
        if (kind is { } k)
        {
            responses = responses.Where(r => r.Survey!.Kind == k);
        }

        if (query.ProductId is { } product)
        {
            responses = responses.Where(r => r.Survey!.ProductId == product);
        }

        if (query.ServiceId is { } service)
        {
            responses = responses.Where(r => r.Survey!.ServiceId == service);
        }

        if (query.Segment is { } segment)
        {
            var members = await Audiences.MemberIdsAsync(db, segment, ct);
            responses = responses.Where(r => r.CustomerId != null && members.Contains(r.CustomerId.Value));
        }

        if (query.PersonaId is { } persona)
        {
            responses = responses.Where(r => r.Customer!.PersonaId == persona && r.Customer.ProfilingConsent);
        }

        return responses;
    }
}
