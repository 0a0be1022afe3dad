using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Feedback;

public sealed record SurveyResultsDto(
    SurveyDto Survey, ScoreEstimate? Overall, IReadOnlyList<ScoreCount> Distribution, IReadOnlyList<PeriodScore> Trend,
    ChangeTest? LastChange, IReadOnlyList<BreakdownRow> BySegment, IReadOnlyList<BreakdownRow> ByPersona, IReadOnlyList<FeedbackDto> Comments);

public sealed record ScoreCount(int Score, long Responses);

public sealed record PeriodScore(DateOnly Period, ScoreEstimate? Estimate);

/// <summary>A segment's or persona's score over the period, and month by month with each month's margin.</summary>
public sealed record BreakdownRow(Guid Id, string Name, ScoreEstimate? Estimate, IReadOnlyList<PeriodScore>? Trend = null);

public sealed record ScoreReport(SurveyKind Kind, DateOnly From, DateOnly To, ScoreEstimate? Estimate, DateOnly? CompareFrom, DateOnly? CompareTo,
    ScoreEstimate? Previous, ChangeTest? Change);

/// <summary>Surveys, their public links and responses, and the scores computed from them in the database.</summary>
public sealed class Surveys(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public async Task<IReadOnlyList<SurveyDto>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(db, db.Set<Survey>().AsNoTracking().OrderBy(s => s.Status).ThenBy(s => s.Name)).ToListAsync(ct);
    }

    public async Task<SurveyDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(db, db.Set<Survey>().AsNoTracking().Where(s => s.Id == id)).SingleOrDefaultAsync(ct);
    }

    public async Task<SurveyDto?> FindByTokenAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(db, db.Set<Survey>().AsNoTracking().Where(s => s.Token == token)).SingleOrDefaultAsync(ct);
    }

    public async Task<SurveyDto> CreateAsync(SurveyInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = new Survey { CreatedAt = time.GetUtcNow(), Status = SurveyStatus.Open };
        await ApplyAsync(db, survey, input, ct);
        db.Set<Survey>().Add(survey);
        await db.SaveChangesAsync(ct);
        return (await GetAsync(survey.Id, ct))!;
    }

    public async Task<SurveyDto?> UpdateAsync(Guid id, SurveyUpdate input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = await db.Set<Survey>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (survey is null)
        {
            return null;
        }

        db.ExpectVersion(survey, input.Version);
        if (input.Kind != survey.Kind && await db.Set<SurveyResponse>().AnyAsync(r => r.SurveyId == id, ct))
        {
            throw new RequestValidationException("kind", "The survey has answers on its scale: its kind cannot change. Create a new survey instead.");
        }

        await ApplyAsync(db, survey, input, ct);
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    /// <summary>Closes or reopens the survey; a closed survey's link refuses new answers.</summary>
    public async Task<SurveyDto?> SetOpenAsync(Guid id, bool open, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = await db.Set<Survey>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (survey is null)
        {
            return null;
        }

        survey.Status = open ? SurveyStatus.Open : SurveyStatus.Closed;
        survey.ClosedAt = open ? null : time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    /// <summary>Starts the next wave: every customer may answer once more.</summary>
    public async Task<SurveyDto?> StartWaveAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = await db.Set<Survey>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (survey is null)
        {
            return null;
        }

        survey.Wave++;
        survey.Status = SurveyStatus.Open;
        survey.ClosedAt = null;
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    /// <summary>
    /// Records one answer: on the survey's scale, while it is open, once per customer per wave. A
    /// comment also becomes a feedback item, themed and scored for sentiment like any other.
    /// </summary>
    public async Task<SurveyResponseDto?> RespondAsync(Guid surveyId, ResponseInput input, ResponseChannel channel, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = await db.Set<Survey>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == surveyId, ct);
        if (survey is null)
        {
            return null;
        }

        var problems = Check(survey, input).ToList();
        if (input.CustomerId is { } customerId)
        {
            // (Post-resolution answers go through AnswerInvitationAsync: one per ticket, not per wave.)
            if (!await db.Customers.AnyAsync(c => c.Id == customerId, ct))
            {
                problems.Add(("customerId", "There is no such customer."));
            }
            else if (await db.Set<SurveyResponse>().AnyAsync(r => r.SurveyId == surveyId && r.Wave == survey.Wave && r.CustomerId == customerId && r.TicketId == null, ct))
            {
                problems.Add(("customerId", $"This customer has already answered wave {survey.Wave} of this survey; one answer per customer per wave."));
            }
        }

        if (input.ExternalRef is { Length: > 0 } external
            && await db.Set<SurveyResponse>().AnyAsync(r => r.SurveyId == surveyId && r.ExternalRef == external.Trim(), ct))
        {
            problems.Add(("externalRef", $"A response with external reference '{external.Trim()}' is already recorded."));
        }

        RequestValidationException.ThrowIfAny(problems);
        var response = NewResponse(survey, input, input.Channel ?? channel, await FeedbackInbox.MatcherAsync(db, ct), out var feedback);
        if (feedback is not null)
        {
            db.Set<FeedbackItem>().Add(feedback);
        }

        db.Set<SurveyResponse>().Add(response);
        await db.SaveChangesAsync(ct);
        return await ResponseAsync(db, response.Id, ct);
    }

    /// <summary>
    /// Takes a batch of answers from another system. Rows already recorded (same external reference)
    /// are skipped; with <paramref name="allOrNothing"/> one bad row rejects the batch, otherwise the
    /// good rows are stored and each bad one is reported with its row number.
    /// </summary>
    public async Task<IngestResult?> IngestAsync(Guid surveyId, IReadOnlyList<ResponseInput> items, bool allOrNothing, CancellationToken ct = default)
    {
        if (items.Count > FeedbackInbox.MaxIngestBatch)
        {
            throw new RequestValidationException("items", $"Send at most {FeedbackInbox.MaxIngestBatch} responses per request.");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = await db.Set<Survey>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == surveyId, ct);
        if (survey is null)
        {
            return null;
        }

        var customerIds = items.Where(i => i.CustomerId != null).Select(i => i.CustomerId!.Value).Distinct().ToList();
        var customers = (await db.Customers.Where(c => customerIds.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        var answered = (await db.Set<SurveyResponse>()
            .Where(r => r.SurveyId == surveyId && r.Wave == survey.Wave && r.CustomerId != null && r.TicketId == null && customerIds.Contains(r.CustomerId.Value))
            .Select(r => r.CustomerId!.Value).ToListAsync(ct)).ToHashSet();
        var refs = items.Where(i => i.ExternalRef is { Length: > 0 }).Select(i => i.ExternalRef!.Trim()).Distinct().ToList();
        var known = (await db.Set<SurveyResponse>().Where(r => r.SurveyId == surveyId && r.ExternalRef != null && refs.Contains(r.ExternalRef))
            .Select(r => r.ExternalRef!).ToListAsync(ct)).ToHashSet();
        var matcher = await FeedbackInbox.MatcherAsync(db, ct);
        var rejected = new List<ImportRowProblem>();
        var duplicates = 0;
        var created = 0;
        for (var row = 0; row < items.Count; row++)
        {
            var input = items[row];
            var problems = RowValidator<ResponseInput>.Instance.Problems(input).Concat(Check(survey, input)).ToList();
            if (input.CustomerId is { } customerId)
            {
                if (!customers.Contains(customerId))
                {
                    problems.Add(("customerId", "There is no such customer."));
                }
                else if (problems.Count == 0 && !answered.Add(customerId))
                {
                    problems.Add(("customerId", $"This customer has already answered wave {survey.Wave} of this survey."));
                }
            }

            if (problems.Count > 0)
            {
                rejected.AddRange(problems.Select(p => new ImportRowProblem(row + 1, p.Field, p.Message)));
                continue;
            }

            if (input.ExternalRef is { Length: > 0 } external && !known.Add(external.Trim()))
            {
                duplicates++;
                continue;
            }

            var response = NewResponse(survey, input, input.Channel ?? ResponseChannel.Api, matcher, out var feedback);
            if (feedback is not null)
            {
                db.Set<FeedbackItem>().Add(feedback);
            }

            db.Set<SurveyResponse>().Add(response);
            created++;
        }

        if (rejected.Count > 0 && allOrNothing)
        {
            return new IngestResult(items.Count, 0, duplicates, rejected);
        }

        await db.SaveChangesAsync(ct);
        return new IngestResult(items.Count, created, duplicates, rejected);
    }

    public async Task<Page<SurveyResponseDto>?> ResponsesAsync(Guid surveyId, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Set<Survey>().AnyAsync(s => s.Id == surveyId, ct))
        {
            return null;
        }

        var query = db.Set<SurveyResponse>().AsNoTracking().Where(r => r.SurveyId == surveyId);
        if (page.NewestFirstAfter() is ({ } afterAt, { } afterId))
        {
            query = query.Seek(r => r.RespondedAt, r => r.Id, afterAt, afterId, descending: true);
        }

        var rows = await ProjectResponses(query.OrderByDescending(r => r.RespondedAt).ThenByDescending(r => r.Id).Take(page.Limit + 1))
            .ToListAsync(ct);
        return page.ToPage(rows, r => PageRequest.NewestFirstKey(r.RespondedAt, r.Id));
    }

    /// <summary>The answer import's columns in its formats (the customer by reference, else by id), then channel, wave and id.</summary>
    public static string[] ResponseExportHeader => [.. Imports.ResponseFields.Select(f => f.Name), "channel", "wave", "id"];

    /// <summary>Every answer to a survey, oldest first, as CSV rows under <see cref="ResponseExportHeader"/>; null when there is no such survey.</summary>
    public async Task<IAsyncEnumerable<string?[]>?> ExportResponsesAsync(Guid surveyId, CancellationToken ct = default)
    {
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            if (!await db.Set<Survey>().AnyAsync(s => s.Id == surveyId, ct))
            {
                return null;
            }
        }

        return Rows(ct);

        async IAsyncEnumerable<string?[]> Rows([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
        {
            await using var db = await dbs.CreateDbContextAsync(token);
            var rows = db.Set<SurveyResponse>().AsNoTracking().Where(r => r.SurveyId == surveyId).OrderBy(r => r.RespondedAt).ThenBy(r => r.Id)
                .Select(r => new { r.Score, r.Comment, r.CustomerId, CustomerRef = r.Customer == null ? null : r.Customer.ExternalRef, r.RespondedAt, r.ExternalRef, r.Channel, r.Wave, r.Id })
                .AsAsyncEnumerable().WithCancellation(token);
            await foreach (var r in rows)
            {
                yield return
                [
                    r.Score.ToString(CultureInfo.InvariantCulture), r.Comment, r.CustomerRef ?? r.CustomerId?.ToString(), r.RespondedAt.ToString("O", CultureInfo.InvariantCulture),
                    r.ExternalRef, Infrastructure.Text.Words.Of(r.Channel), r.Wave.ToString(CultureInfo.InvariantCulture), r.Id.ToString(),
                ];
            }
        }
    }

    /// <summary>The results page: overall score, distribution, monthly trend, breakdowns and the latest comments.</summary>
    public async Task<SurveyResultsDto?> ResultsAsync(Guid surveyId, DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        var survey = await GetAsync(surveyId, ct);
        if (survey is null)
        {
            return null;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var responses = db.Set<SurveyResponse>().AsNoTracking().Where(r => r.SurveyId == surveyId && r.RespondedOn >= from && r.RespondedOn < to);
        var kind = survey.Kind;

        // Pass 1 over the answers: a count per (day, score). The daily tallies, the overall score, the trend and the
        // distribution all follow from it.
        // From the daily rollups when they can answer (ADR-015).
        var dayScores = await AnswerRollups.DayScoresAsync(db, db.Surveys.Where(s => s.Id == surveyId).Select(s => s.Id), from, to, ct)
            ?? await responses.GroupBy(r => new { r.RespondedOn, r.Score })
                .Select(g => new DayScore(g.Key.RespondedOn, g.Key.Score, g.LongCount())).ToListAsync(ct);
        var byDay = dayScores.GroupBy(d => d.Day)
            .Select(g => (Day: g.Key, Tally: g.Aggregate(default(Tally), (sum, d) => sum + Times(Tally.Of(kind, d.Score), d.Answers))))
            .OrderBy(d => d.Day).ToList();
        var overall = SurveyScores.Estimate(kind, byDay.Aggregate(default(Tally), (sum, d) => sum + d.Tally));
        var counts = dayScores.GroupBy(d => d.Score).ToDictionary(g => g.Key, g => g.Sum(d => d.Answers));
        var all = Enumerable.Range(survey.Min, survey.Max - survey.Min + 1).Select(s => new ScoreCount(s, counts.GetValueOrDefault(s))).ToList();
        var trend = Roll(byDay, from, to, Granularity.Month).Select(b => new PeriodScore(b.Bucket, SurveyScores.Estimate(kind, b.Tally))).ToList();
        var withData = trend.Where(t => t.Estimate is not null).ToList();
        var lastChange = withData.Count >= 2 ? SurveyScores.Compare(withData[^2].Estimate, withData[^1].Estimate) : null;

        // Pass 2: a tally per answering customer and month, with what segment rules and personas look at. Every segment and
        // persona breakdown, and its monthly trend, is then a sum over these rows, whatever the number of segments.
        var (high, low) = (SurveyScores.HighFrom(kind), SurveyScores.LowTo(kind));
        var byCustomerMonth = await responses.Where(r => r.CustomerId != null)
            .GroupBy(r => new
            {
                r.Customer!.Id, r.Customer.Plan, r.Customer.Region, r.Customer.Industry, r.Customer.LifetimeValue, r.Customer.PersonaId, r.Customer.SignupDate,
                r.Customer.ArchivedAt, r.Customer.ProfilingConsent, r.RespondedOn.Year, r.RespondedOn.Month,
            })
            .Select(g => new
            {
                g.Key, N = g.LongCount(), High = g.LongCount(r => r.Score >= high), Low = g.LongCount(r => r.Score <= low),
                Sum = g.Sum(r => (long)r.Score), Squares = g.Sum(r => (long)r.Score * r.Score),
            })
            .ToListAsync(ct);
        var answering = byCustomerMonth.DistinctBy(c => c.Key.Id).Select(c => new Customer
        {
            Id = c.Key.Id, Plan = c.Key.Plan, Region = c.Key.Region, Industry = c.Key.Industry, LifetimeValue = c.Key.LifetimeValue, PersonaId = c.Key.PersonaId,
            SignupDate = c.Key.SignupDate, ArchivedAt = c.Key.ArchivedAt, ProfilingConsent = c.Key.ProfilingConsent,
        }).ToList();
        var monthly = byCustomerMonth.ToLookup(c => c.Key.Id, c => (Month: new DateOnly(c.Key.Year, c.Key.Month, 1), Tally: new Tally(c.N, c.High, c.Low, c.Sum, c.Squares)));
        var months = Buckets.Between(from, to, Granularity.Month);
        BreakdownRow Row(Guid id, string name, IEnumerable<Customer> members)
        {
            var rows = members.SelectMany(c => monthly[c.Id]).ToList();
            var trend = months.Select(m => new PeriodScore(m, SurveyScores.Estimate(kind, rows.Where(r => r.Month == m).Aggregate(default(Tally), (sum, r) => sum + r.Tally))))
                .ToList();
            return new BreakdownRow(id, name, SurveyScores.Estimate(kind, rows.Aggregate(default(Tally), (sum, r) => sum + r.Tally)), trend);
        }

        var bySegment = (await db.Set<Segment>().AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct))
            .Select(segment => Row(segment.Id, segment.Name, segment.Rules.Members(answering.AsQueryable())))
            .ToList();
        var personaNames = await db.Set<Persona>().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var personas = answering.Where(c => c.PersonaId != null && c.ProfilingConsent).GroupBy(c => c.PersonaId!.Value)
            .Select(g => Row(g.Key, personaNames.GetValueOrDefault(g.Key, "?"), g))
            .OrderBy(p => p.Name).ToList();

        var commentIds = await responses.Where(r => r.FeedbackId != null).OrderByDescending(r => r.RespondedAt)
            .Select(r => r.FeedbackId!.Value).Take(20).ToListAsync(ct);
        var comments = await FeedbackInbox.Project(db.Set<FeedbackItem>().AsNoTracking().Where(f => commentIds.Contains(f.Id))
            .OrderByDescending(f => f.ReceivedAt)).ToListAsync(ct);
        return new SurveyResultsDto(survey, overall, all, trend, lastChange, bySegment, personas, comments);
    }

    /// <summary>A kind's score over every matching survey for a period, optionally against an earlier period.</summary>
    public async Task<ScoreReport> ScoreAsync(SurveyKind kind, MetricQuery query, DateOnly? compareFrom, DateOnly? compareTo, CancellationToken ct = default)
    {
        if (query.To <= query.From)
        {
            throw new RequestValidationException("to", "The period must end after it starts.");
        }

        if ((compareFrom is null) != (compareTo is null) || compareTo <= compareFrom)
        {
            throw new RequestValidationException("compareTo", "Give both compareFrom and compareTo, the second after the first.");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = SurveyScores.Estimate(kind, await TallyAsync(await SurveyMetric.ResponsesAsync(db, query, kind, ct), kind, ct));
        if (compareFrom is null)
        {
            return new ScoreReport(kind, query.From, query.To, now, null, null, null, null);
        }

        var previousQuery = query with { From = compareFrom.Value, To = compareTo!.Value };
        var before = SurveyScores.Estimate(kind, await TallyAsync(await SurveyMetric.ResponsesAsync(db, previousQuery, kind, ct), kind, ct));
        return new ScoreReport(kind, query.From, query.To, now, compareFrom, compareTo, before, SurveyScores.Compare(before, now));
    }

    internal static Tally Times(Tally one, long n) => new(one.N * n, one.High * n, one.Low * n, one.Sum * n, one.SumOfSquares * n);

    internal static async Task<Tally> TallyAsync(IQueryable<SurveyResponse> responses, SurveyKind kind, CancellationToken ct)
    {
        var (high, low) = (SurveyScores.HighFrom(kind), SurveyScores.LowTo(kind));
        var row = await responses.GroupBy(_ => 1)
            .Select(g => new
            {
                N = g.LongCount(), High = g.LongCount(r => r.Score >= high), Low = g.LongCount(r => r.Score <= low),
                Sum = g.Sum(r => (long)r.Score), Squares = g.Sum(r => (long)r.Score * r.Score),
            })
            .SingleOrDefaultAsync(ct);
        return row is null ? default : new Tally(row.N, row.High, row.Low, row.Sum, row.Squares);
    }

    /// <summary>One tally per day with answers, summed in the database; any calendar roll-up of them is exact.</summary>
    internal static async Task<List<(DateOnly Day, Tally Tally)>> TallyByDayAsync(IQueryable<SurveyResponse> responses, SurveyKind kind, CancellationToken ct)
    {
        var (high, low) = (SurveyScores.HighFrom(kind), SurveyScores.LowTo(kind));
        var rows = await responses.GroupBy(r => r.RespondedOn)
            .Select(g => new
            {
                Day = g.Key, N = g.LongCount(), High = g.LongCount(r => r.Score >= high), Low = g.LongCount(r => r.Score <= low),
                Sum = g.Sum(r => (long)r.Score), Squares = g.Sum(r => (long)r.Score * r.Score),
            })
            .ToListAsync(ct);
        return rows.Select(r => (r.Day, new Tally(r.N, r.High, r.Low, r.Sum, r.Squares))).OrderBy(r => r.Day).ToList();
    }

    internal static IReadOnlyList<(DateOnly Bucket, Tally Tally)> Roll(IEnumerable<(DateOnly Day, Tally Tally)> days, DateOnly from, DateOnly to, Granularity granularity)
    {
        var sums = days.GroupBy(d => Buckets.StartOf(d.Day, granularity))
            .ToDictionary(g => g.Key, g => g.Aggregate(default(Tally), (sum, d) => sum + d.Tally));
        return Buckets.Between(from, to, granularity).Select(b => (b, sums.GetValueOrDefault(b))).ToList();
    }

    /// <summary>The survey post-resolution links use: the CSAT or CES survey named in ServiceDesk:SurveyName, created as CSAT when missing.</summary>
    public static async Task<Survey> SupportSurveyAsync(PsmDb db, string name, DateTimeOffset now, CancellationToken ct)
    {
        var survey = await db.Set<Survey>().Where(s => s.Name == name && (s.Kind == SurveyKind.Csat || s.Kind == SurveyKind.Ces)).OrderBy(s => s.CreatedAt).FirstOrDefaultAsync(ct);
        if (survey is null)
        {
            survey = new Survey
            {
                Name = name, Kind = SurveyKind.Csat, Question = "How satisfied are you with how we handled your request?",
                FollowUpQuestion = "What could we have done better?", CreatedAt = now,
            };
            db.Set<Survey>().Add(survey);
        }

        return survey;
    }

    public sealed record InvitationView(SurveyDto Survey, bool Answered, string? TicketKey, string? TicketSubject);

    public async Task<InvitationView?> FindInvitationAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var invitation = await db.Set<SurveyInvitation>().AsNoTracking().SingleOrDefaultAsync(i => i.Token == token, ct);
        if (invitation is null || await GetAsync(invitation.SurveyId, ct) is not { } survey)
        {
            return null;
        }

        var ticket = invitation.TicketId is { } tid ? await db.Tickets.AsNoTracking().Where(t => t.Id == tid).Select(t => new { t.Number, t.Subject }).SingleOrDefaultAsync(ct) : null;
        return new InvitationView(survey, invitation.AnsweredAt is not null, ticket is null ? null : $"T-{ticket.Number}", ticket?.Subject);
    }

    /// <summary>
    /// Records the answer to a personal link, once: on the customer, on the ticket (its timeline says so),
    /// and, with a comment, as feedback.
    /// </summary>
    public async Task<SurveyResponseDto?> AnswerInvitationAsync(string token, int? score, string? comment, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var invitation = await db.Set<SurveyInvitation>().SingleOrDefaultAsync(i => i.Token == token, ct);
        if (invitation is null)
        {
            return null;
        }

        var survey = await db.Set<Survey>().AsNoTracking().SingleAsync(s => s.Id == invitation.SurveyId, ct);
        var input = new ResponseInput { Score = score, Comment = comment, CustomerId = invitation.CustomerId };
        var problems = Check(survey, input).ToList();
        if (score is null) problems.Add(("score", "Choose a score."));
        if (invitation.AnsweredAt is not null) problems.Add(("token", "This link has already been answered; thank you."));
        RequestValidationException.ThrowIfAny(problems);

        var response = NewResponse(survey, input, ResponseChannel.Web, await FeedbackInbox.MatcherAsync(db, ct), out var feedback);
        response.TicketId = invitation.TicketId;
        if (feedback is not null)
        {
            db.Set<FeedbackItem>().Add(feedback);
        }

        db.Set<SurveyResponse>().Add(response);
        invitation.AnsweredAt = response.RespondedAt;
        invitation.Score = response.Score;
        if (invitation.TicketId is { } ticketId)
        {
            db.TicketEvents.Add(new ServiceDesk.TicketEvent
            {
                TicketId = ticketId, At = response.RespondedAt, Kind = ServiceDesk.TicketEventKind.Survey, Actor = "customer",
                Text = $"The customer rated the service {response.Score} of {survey.Scale.Max} ({survey.Kind.ToString().ToUpperInvariant()}){(response.Comment is { } c ? $": “{c}”" : ".")}",
            });
        }

        await db.SaveChangesAsync(ct);
        return await ResponseAsync(db, response.Id, ct);
    }

    internal SurveyResponse NewResponse(Survey survey, ResponseInput input, ResponseChannel channel, ThemeMatcher matcher, out FeedbackItem? feedback)
    {
        var now = time.GetUtcNow();
        var at = (input.RespondedAt ?? now).ToUniversalTime();
        var response = new SurveyResponse
        {
            SurveyId = survey.Id, Wave = survey.Wave, Score = input.Score!.Value,
            Comment = string.IsNullOrWhiteSpace(input.Comment) ? null : input.Comment.Trim(), CustomerId = input.CustomerId,
            Channel = channel, RespondedAt = at, RespondedOn = DateOnly.FromDateTime(at.UtcDateTime),
            ExternalRef = string.IsNullOrWhiteSpace(input.ExternalRef) ? null : input.ExternalRef.Trim(),
        };
        feedback = response.Comment is null ? null : FeedbackItem.FromSurveyComment(response, survey, matcher, now);
        return response;
    }

    internal IEnumerable<(string Field, string Message)> Check(Survey survey, ResponseInput input)
    {
        if (survey.Status == SurveyStatus.Closed)
        {
            yield return ("survey", "This survey is closed and takes no new answers.");
        }

        var (min, max) = survey.Scale;
        if (input.Score is { } score && (score < min || score > max))
        {
            yield return ("score", $"The score must be a whole number from {min} to {max} on a {survey.Kind.ToString().ToUpperInvariant()} survey.");
        }

        if (input.RespondedAt > time.GetUtcNow().AddMinutes(5))
        {
            yield return ("respondedAt", "An answer cannot be given in the future.");
        }
    }

    private static async Task ApplyAsync(PsmDb db, Survey survey, SurveyInput input, CancellationToken ct)
    {
        var problems = new List<(string, string)>();
        if (input.ProductId is { } p && !await db.Products.AnyAsync(x => x.Id == p, ct))
        {
            problems.Add(("productId", "There is no such product."));
        }

        if (input.ServiceId is { } s && !await db.Services.AnyAsync(x => x.Id == s, ct))
        {
            problems.Add(("serviceId", "There is no such service."));
        }

        RequestValidationException.ThrowIfAny(problems);
        survey.Name = input.Name.Trim();
        survey.Kind = input.Kind!.Value;
        survey.Question = input.Question.Trim();
        survey.FollowUpQuestion = string.IsNullOrWhiteSpace(input.FollowUpQuestion) ? null : input.FollowUpQuestion.Trim();
        survey.ProductId = input.ProductId;
        survey.ServiceId = input.ServiceId;
    }

    private static Task<SurveyResponseDto> ResponseAsync(PsmDb db, Guid id, CancellationToken ct) =>
        ProjectResponses(db.Set<SurveyResponse>().AsNoTracking().Where(r => r.Id == id)).SingleAsync(ct);

    private static IQueryable<SurveyResponseDto> ProjectResponses(IQueryable<SurveyResponse> query) =>
        query.Select(r => new SurveyResponseDto(r.Id, r.SurveyId, r.Wave, r.Score, r.Comment,
            r.Customer == null ? null : new NamedRef(r.Customer.Id, r.Customer.Name), r.Channel, r.RespondedAt, r.FeedbackId));

    private static IQueryable<SurveyDto> Project(PsmDb db, IQueryable<Survey> query) =>
        query.Select(s => new SurveyDto(s.Id, s.Name, s.Kind, s.Question, s.FollowUpQuestion,
            s.Product == null ? null : new NamedRef(s.Product.Id, s.Product.Name),
            s.Service == null ? null : new NamedRef(s.Service.Id, s.Service.Name),
            s.Token, "/s/" + s.Token, s.Status, s.Wave,
            s.Kind == SurveyKind.Nps ? 0 : 1, s.Kind == SurveyKind.Nps ? 10 : s.Kind == SurveyKind.Csat ? 5 : 7,
            db.Set<SurveyResponse>().Count(r => r.SurveyId == s.Id), s.CreatedAt, s.ClosedAt, s.Version));
}
