using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Outbox;

namespace Psm.Web.Features.Mail;

/// <summary>One wave's invitations by e-mail: invited, sent (the mail server took it), bounced, delivered (sent less bounced), answered.</summary>
public sealed record WaveFiguresDto(int Wave, int Invited, int Sent, int Bounced, int Delivered, int Answered, double? ResponseRate);


/// <summary>
/// Survey invitations by e-mail as registry metrics: invitations whose mail was created in the period
/// (waves and post-resolution surveys alike), cut by the survey's product or service.
/// </summary>
public sealed class InvitationMetric(string key, string name, string unit, BetterDirection better, string description, Func<IQueryable<InvitationFactsRow>, CancellationToken, Task<double?>> evaluate) : IMetric
{
    public static readonly string Definitions =
        "Sent: the mail server took the invitation. Bounced: a bounce came back for it. Delivered: sent and not bounced. Response rate: answered invitations as a share of delivered ones.";

    public MetricDefinition Definition { get; } = new(key, name, unit, better, [MetricDimension.Period, MetricDimension.Product, MetricDimension.Service], description);

    public static IEnumerable<InvitationMetric> All()
    {
        yield return new("survey.invitations_sent", "Survey invitations sent", "invitations", BetterDirection.Up,
            "Survey invitations e-mailed in the period that the mail server took.", (rows, ct) => Count(rows.Where(r => r.Sent), ct));
        yield return new("survey.invitations_delivered", "Survey invitations delivered", "invitations", BetterDirection.Up,
            "Survey invitations e-mailed in the period, taken by the mail server, with no bounce back.", (rows, ct) => Count(rows.Where(r => r.Sent && !r.Bounced), ct));
        yield return new("survey.invitations_bounced", "Survey invitations bounced", "invitations", BetterDirection.Down,
            "Survey invitations e-mailed in the period that came back undeliverable.", (rows, ct) => Count(rows.Where(r => r.Bounced), ct));
        yield return new("survey.invitation_response_rate", "Survey response rate (e-mail)", "%", BetterDirection.Up,
            "Invitations e-mailed in the period and answered, as a share of those delivered (sent, not bounced).",
            async (rows, ct) =>
            {
                var counts = await rows.Where(r => r.Sent && !r.Bounced).GroupBy(_ => 1).Select(g => new { N = g.Count(), Answered = g.Count(r => r.Answered) }).SingleOrDefaultAsync(ct);
                return counts is null || counts.N == 0 ? null : Math.Round(100.0 * counts.Answered / counts.N, 2);
            });
    }

    private static async Task<double?> Count(IQueryable<InvitationFactsRow> rows, CancellationToken ct) => await rows.CountAsync(ct);

    public Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) => evaluate(Rows(db, query, query.FromUtc, query.ToUtc), ct);

    public Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct) =>
        Buckets.EachAsync(query, granularity, q => evaluate(Rows(db, q, q.FromUtc, q.ToUtc), ct));

    /// <summary>Each invitation mail created in [from, to), with what became of it.</summary>
    internal static IQueryable<InvitationFactsRow> Rows(PsmDb db, MetricQuery query, DateTimeOffset from, DateTimeOffset to)
    {
        var mails = db.MailMessages.AsNoTracking().Where(m => m.SurveyInvitationId != null && m.At >= from && m.At < to);
        var invitations = db.SurveyInvitations.AsNoTracking();
        if (query.ProductId is { } product) invitations = invitations.Where(i => i.Survey!.ProductId == product);
        if (query.ServiceId is { } service) invitations = invitations.Where(i => i.Survey!.ServiceId == service);
        return mails.Join(invitations, m => m.SurveyInvitationId, i => i.Id, (m, i) => new InvitationFactsRow
        {
            Wave = i.Wave, SurveyId = i.SurveyId,
            Sent = db.Outbox.Any(o => o.Reference == m.Id && o.Status == OutboxStatus.Sent), Bounced = m.BouncedAt != null, Answered = i.AnsweredAt != null,
        });
    }

    /// <summary>A survey's e-mailed waves, one row each.</summary>
    public static async Task<IReadOnlyList<WaveFiguresDto>> WavesAsync(PsmDb db, Guid surveyId, CancellationToken ct)
    {
        var rows = await db.SurveyInvitations.AsNoTracking().Where(i => i.SurveyId == surveyId && i.Wave != null)
            .Select(i => new
            {
                Wave = i.Wave!.Value,
                Sent = db.MailMessages.Any(m => m.SurveyInvitationId == i.Id && db.Outbox.Any(o => o.Reference == m.Id && o.Status == OutboxStatus.Sent)),
                Bounced = db.MailMessages.Any(m => m.SurveyInvitationId == i.Id && m.BouncedAt != null),
                Answered = i.AnsweredAt != null,
            })
            .GroupBy(r => r.Wave)
            .Select(g => new { Wave = g.Key, Invited = g.Count(), Sent = g.Count(r => r.Sent), Bounced = g.Count(r => r.Bounced), Answered = g.Count(r => r.Answered) })
            .OrderBy(g => g.Wave).ToListAsync(ct);
        return rows.Select(r =>
        {
            var delivered = Math.Max(0, r.Sent - r.Bounced);
            return new WaveFiguresDto(r.Wave, r.Invited, r.Sent, r.Bounced, delivered, r.Answered, delivered == 0 ? null : Math.Round(100.0 * r.Answered / delivered, 1));
        }).ToList();
    }
}

public sealed class InvitationFactsRow
{
    public int? Wave { get; init; }
    public Guid SurveyId { get; init; }
    public bool Sent { get; init; }
    public bool Bounced { get; init; }
    public bool Answered { get; init; }
}
