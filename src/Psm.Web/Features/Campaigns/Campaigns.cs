using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Campaigns;

public sealed record ChannelResults(CampaignChannel Channel, ResultTotals Totals, ResultTotals Typical);

public sealed record DailyResults(DateOnly Day, ResultTotals Totals);

public sealed record TargetProgress(string Name, decimal Actual, decimal Target)
{
    public double Share => Target == 0 ? 0 : (double)(Actual / Target);
}

/// <summary>
/// Everything the results page shows: totals against targets, by channel against what is typical, by day,
/// and the flags. "Typical" is the pooled result of the other campaigns: for the same product, and overall.
/// </summary>
public sealed record CampaignResultsView(
    ResultTotals Totals, IReadOnlyList<TargetProgress> Targets, IReadOnlyList<ChannelResults> Channels, IReadOnlyList<DailyResults> Daily,
    ResultTotals ProductTypical, ResultTotals AllTypical, IReadOnlyList<PerformanceFlag> Flags, IReadOnlyList<FitCheck> LikelyCauses,
    IReadOnlyList<ConsistencyWarning> Consistency);

public sealed record KpiWindow(DateOnly From, DateOnly To, double? Value);

/// <summary>A KPI the campaign was meant to move, for its product and segment, before, during and after it ran.</summary>
public sealed record CampaignKpi(string Key, string Name, string Unit, BetterDirection Better, string Cut, KpiWindow Before, KpiWindow During, KpiWindow? After);

public sealed record AudienceContact(string Customer, string? ExternalRef, string Name, string Email);

/// <summary>Campaigns: planning with fit checks, audiences that respect consent, results, and the KPIs they were meant to move.</summary>
public sealed class Campaigns(IDbContextFactory<PsmDb> dbs, TimeProvider time, MetricRegistry metrics, AlignmentRecords records, Commerce.CustomerFigureKeeper figures)
{
    /// <summary>How far back the message is compared with customers' feedback.</summary>
    public const int EvidenceDays = 90;

    private static readonly Dictionary<CampaignStatus, CampaignStatus[]> Moves = new()
    {
        [CampaignStatus.Draft] = [CampaignStatus.Scheduled, CampaignStatus.Cancelled],
        [CampaignStatus.Scheduled] = [CampaignStatus.Draft, CampaignStatus.Running, CampaignStatus.Cancelled],
        [CampaignStatus.Running] = [CampaignStatus.Completed, CampaignStatus.Cancelled],
        [CampaignStatus.Completed] = [],
        [CampaignStatus.Cancelled] = [CampaignStatus.Draft],
    };

    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    // ---- planning ----

    public async Task<IReadOnlyList<CampaignListItem>> ListAsync(
        CampaignStatus? status = null, Guid? productId = null, CampaignGoal? goal = null, DateOnly? from = null, DateOnly? to = null,
        CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Set<Campaign>().AsNoTracking();
        if (status is { } s) query = query.Where(c => c.Status == s);
        if (productId is { } p) query = query.Where(c => c.ProductId == p);
        if (goal is { } g) query = query.Where(c => c.Goal == g);
        if (from is { } f) query = query.Where(c => c.EndsOn >= f);
        if (to is { } t) query = query.Where(c => c.StartsOn < t);
        var rows = await query.OrderByDescending(c => c.StartsOn).ThenBy(c => c.Name)
            .Select(c => new
            {
                c.Id, c.Name, ProductId = c.ProductId, ProductName = c.Product!.Name, ProductStage = c.Service != null ? c.Service.Stage : c.Product.Stage,
                c.Goal, c.PlannedStage, c.Status, c.StartsOn, c.EndsOn, c.Budget, c.SegmentId, SegmentName = c.Segment != null ? c.Segment.Name : null,
                c.Channels, c.OwnerId, OwnerName = c.Owner != null ? c.Owner.DisplayName : null,
            })
            .ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var spent = await db.Set<CampaignResult>().Where(r => ids.Contains(r.CampaignId)).GroupBy(r => r.CampaignId)
            .Select(g => new { Id = g.Key, Spend = g.Sum(r => r.Spend), Conversions = g.Sum(r => r.Conversions) })
            .ToDictionaryAsync(x => x.Id, ct);
        return rows.Select(r => new CampaignListItem(r.Id, r.Name, new NamedRef(r.ProductId, r.ProductName), r.Goal, r.PlannedStage,
            CampaignFit.GoalForStage(r.Goal, r.ProductStage).Level, r.Status, r.StartsOn, r.EndsOn, r.Budget,
            spent.TryGetValue(r.Id, out var x) ? x.Spend : 0, x?.Conversions ?? 0,
            r.SegmentId is { } sid ? new NamedRef(sid, r.SegmentName!) : null, r.Channels,
            r.OwnerId is { } oid ? new NamedRef(oid, r.OwnerName ?? "") : null)).ToList();
    }

    public async Task<CampaignDetail?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await Load(db).SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        var audience = await AudienceAsync(db, campaign.Segment, ct);
        var fit = await FitAsync(db, campaign, audience, ct);
        var totals = await db.Set<CampaignResult>().AsNoTracking().Where(r => r.CampaignId == id).GroupBy(_ => 1)
            .Select(g => new ResultTotals(g.Sum(r => r.Impressions), g.Sum(r => r.Engagements), g.Sum(r => r.Conversions), g.Sum(r => r.Spend), g.Sum(r => r.Revenue)))
            .SingleOrDefaultAsync(ct) ?? ResultTotals.Zero;
        return new CampaignDetail(ToDto(campaign), fit, audience, await ConsistencyAsync(db, campaign, totals, audience, ct));
    }

    /// <summary>
    /// The consistency checks on a campaign's results (<see cref="CampaignConsistency"/>): the product's order revenue in
    /// the reporting currency over the campaign's days (up to today), its reachable audience, and its results' first and last days.
    /// </summary>
    private async Task<IReadOnlyList<ConsistencyWarning>> ConsistencyAsync(PsmDb db, Campaign campaign, ResultTotals totals, AudienceCount audience, CancellationToken ct)
    {
        var results = db.Set<CampaignResult>().AsNoTracking().Where(r => r.CampaignId == campaign.Id);
        if (!await results.AnyAsync(ct))
        {
            return [];
        }

        var first = await results.MinAsync(r => r.Day, ct);
        var last = await results.MaxAsync(r => r.Day, ct);
        var currency = figures.Currency;
        var productRevenue = await db.Orders.AsNoTracking()
            .Where(o => o.ProductId == campaign.ProductId && o.Currency == currency && o.OrderedOn >= campaign.StartsOn && o.OrderedOn <= campaign.EndsOn)
            .SumAsync(o => (decimal?)o.Amount, ct) ?? 0;
        return CampaignConsistency.Check(new ConsistencyFacts(campaign.Goal, campaign.StartsOn, campaign.EndsOn, totals, first, last, productRevenue, currency,
            audience.Audience));
    }

    /// <summary>The fit checks for a plan that is not saved yet: what the planning form shows as it is filled in.</summary>
    public async Task<IReadOnlyList<FitCheck>> PreviewFitAsync(CampaignInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = new Campaign();
        var segment = await ApplyAsync(db, campaign, input, ct);
        var audience = await AudienceAsync(db, segment, ct);
        return await FitAsync(db, campaign, audience, ct);
    }

    public async Task<CampaignDetail> CreateAsync(CampaignInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = new Campaign { CreatedAt = time.GetUtcNow(), Status = CampaignStatus.Draft };
        await ApplyAsync(db, campaign, input, ct);
        db.Add(campaign);
        await db.SaveChangesAsync(ct);
        return (await GetAsync(campaign.Id, ct))!;
    }

    public async Task<CampaignDetail?> UpdateAsync(Guid id, CampaignUpdate input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await db.Set<Campaign>().Include(c => c.Promises).Include(c => c.Objectives).Include(c => c.KeyResults)
            .SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        db.ExpectVersion(campaign, input.Version);
        await ApplyAsync(db, campaign, input, ct);
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    public async Task<CampaignDetail?> SetStatusAsync(Guid id, CampaignStatus status, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await db.Set<Campaign>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        if (campaign.Status != status)
        {
            if (!Moves[campaign.Status].Contains(status))
            {
                var allowed = Moves[campaign.Status];
                throw new RequestValidationException("status", allowed.Length == 0
                    ? $"A {campaign.Status.ToString().ToLowerInvariant()} campaign's status is final."
                    : $"A {campaign.Status.ToString().ToLowerInvariant()} campaign can move to {string.Join(" or ", allowed)}, not {status}.");
            }

            campaign.Status = status;
            await db.SaveChangesAsync(ct);
        }

        return await GetAsync(id, ct);
    }

    /// <summary>Deletes a draft. A campaign that was scheduled or ran is cancelled instead, so its history stays.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await db.Set<Campaign>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return false;
        }

        if (campaign.Status != CampaignStatus.Draft)
        {
            throw new RequestValidationException("status", "Only a draft can be deleted; cancel a campaign that was scheduled or ran, so its history stays.");
        }

        db.Remove(campaign);
        await db.SaveChangesAsync(ct);
        return true;
    }

    // ---- audience ----

    /// <summary>How many a segment (or, with none, the whole customer base) could reach: what the planning form shows live.</summary>
    public async Task<AudienceCount> PreviewAudienceAsync(Guid? segmentId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await AudienceAsync(db, await SegmentAsync(db, segmentId, ct), ct);
    }

    /// <summary>
    /// The customers a campaign's target matches (not archived; churned customers stay, win-back needs them).
    /// With a segment, its rules apply; targeting by traits is profiling, so the segment needs that consent too.
    /// </summary>
    public static IQueryable<Customer> Matched(PsmDb db, Segment? segment)
    {
        var customers = db.Customers.AsNoTracking().Where(c => c.ArchivedAt == null);
        return segment is null ? customers : segment.Rules.Apply(customers);
    }

    /// <summary>Of those matched, the ones the campaign may contact.</summary>
    public static IQueryable<Customer> Reachable(IQueryable<Customer> matched, bool bySegment) =>
        bySegment ? matched.Where(c => c.MarketingConsent && c.ProfilingConsent) : matched.Where(c => c.MarketingConsent);

    public static async Task<AudienceCount> AudienceAsync(PsmDb db, Segment? segment, CancellationToken ct)
    {
        var matched = Matched(db, segment);
        var bySegment = segment is not null;
        var counts = await matched.GroupBy(_ => 1)
            .Select(g => new { All = g.Count(), Reach = bySegment ? g.Count(c => c.MarketingConsent && c.ProfilingConsent) : g.Count(c => c.MarketingConsent) })
            .SingleOrDefaultAsync(ct);
        if (counts is null)
        {
            return new AudienceCount(0, 0, 0, 0);
        }

        var reachable = Reachable(matched, bySegment);
        var contacts = await db.CustomerContacts.CountAsync(x => reachable.Any(c => c.Id == x.CustomerId), ct)
                       + await reachable.CountAsync(c => !db.CustomerContacts.Any(x => x.CustomerId == c.Id), ct);
        return new AudienceCount(counts.All, counts.Reach, counts.All - counts.Reach, contacts);
    }

    /// <summary>
    /// The consenting audience's contacts (a customer without named contacts is reached at its own
    /// address). Every export is written to the audit log: who, when, which campaign, how many.
    /// </summary>
    public async Task<IReadOnlyList<AudienceContact>?> ExportAudienceAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await db.Set<Campaign>().AsNoTracking().Include(c => c.Segment).SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        var reachable = Reachable(Matched(db, campaign.Segment), campaign.Segment is not null);
        var named = await db.CustomerContacts.AsNoTracking().Where(x => reachable.Any(c => c.Id == x.CustomerId))
            .Select(x => new { x.CustomerId, x.Name, x.Email }).ToListAsync(ct);
        var customers = await reachable.Select(c => new { c.Id, c.Name, c.ExternalRef, c.Email }).ToListAsync(ct);
        var byCustomer = named.ToLookup(x => x.CustomerId);
        var rows = customers.OrderBy(c => c.Name, StringComparer.Ordinal)
            .SelectMany(c => byCustomer[c.Id].Any()
                ? byCustomer[c.Id].OrderBy(x => x.Name, StringComparer.Ordinal).Select(x => new AudienceContact(c.Name, c.ExternalRef, x.Name, x.Email))
                : [new AudienceContact(c.Name, c.ExternalRef, c.Name, c.Email)])
            .ToList();
        var actor = db.CurrentUser?.Actor ?? Actor.System;
        db.AuditEntries.Add(new AuditEntry
        {
            At = time.GetUtcNow(), UserId = actor.UserId, UserName = actor.Name, Action = AuditActions.Exported, Entity = nameof(Campaign),
            EntityKey = id.ToString(), Changes = JsonSerializer.Serialize(new { audience = campaign.Name, customers = customers.Count, contacts = rows.Count }),
        });
        await db.SaveChangesAsync(ct);
        return rows;
    }

    // ---- results ----

    public async Task<IReadOnlyList<CampaignResultDto>?> ResultsAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Set<Campaign>().AnyAsync(c => c.Id == id, ct))
        {
            return null;
        }

        return await db.Set<CampaignResult>().AsNoTracking().Where(r => r.CampaignId == id).OrderByDescending(r => r.Day).ThenBy(r => r.Channel)
            .Select(r => new CampaignResultDto(r.Id, r.Day, r.Channel, r.Impressions, r.Engagements, r.Conversions, r.Spend, r.Revenue))
            .ToListAsync(ct);
    }

    /// <summary>
    /// Records results (by hand, by API push or from a file): each day and channel once, a second entry
    /// replacing the first. Every row is checked first; one bad row and nothing is written.
    /// </summary>
    public async Task<int?> RecordResultsAsync(Guid id, IReadOnlyList<CampaignResultInput> rows, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        var problems = new List<(string, string)>();
        var status = ResultsRefusal(campaign);
        if (status is not null)
        {
            throw new RequestValidationException("status", status);
        }

        if (rows.Count == 0)
        {
            throw new RequestValidationException("rows", "Send at least one day's results.");
        }

        for (var i = 0; i < rows.Count; i++)
        {
            problems.AddRange(RowProblems(campaign, rows[i], Today).Select(p => ($"rows[{i}].{p.Field}", p.Message)));
        }

        var duplicate = rows.GroupBy(r => (r.Day, r.Channel)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            problems.Add(("rows", $"{duplicate.Key.Day:yyyy-MM-dd} on {duplicate.Key.Channel} appears more than once."));
        }

        RequestValidationException.ThrowIfAny(problems);
        await UpsertAsync(db, id, rows, ct);
        return rows.Count;
    }

    /// <summary>Why a campaign takes no results, or null when it does.</summary>
    public static string? ResultsRefusal(Campaign campaign) => campaign.Status switch
    {
        CampaignStatus.Cancelled => "The campaign is cancelled: it takes no results.",
        CampaignStatus.Draft => "The campaign is a draft: schedule it before recording results.",
        _ => null,
    };

    /// <summary>What is wrong with one row of results, field by field (camelCase names).</summary>
    public static IEnumerable<(string Field, string Message)> RowProblems(Campaign campaign, CampaignResultInput row, DateOnly today)
    {
        if (row.Day is not { } day)
        {
            yield return ("day", "Give the day.");
        }
        else if (day > today)
        {
            yield return ("day", $"{day:yyyy-MM-dd} is in the future: record results once they happen.");
        }
        else if (day < campaign.StartsOn)
        {
            yield return ("day", $"{day:yyyy-MM-dd} is before the campaign starts ({campaign.StartsOn:yyyy-MM-dd}).");
        }

        if (row.Channel is not { } channel)
        {
            yield return ("channel", "Give the channel.");
        }
        else if (!campaign.Channels.Contains(channel))
        {
            yield return ("channel", $"The campaign does not run on {channel}; it runs on {string.Join(", ", campaign.Channels)}.");
        }

        foreach (var (field, value) in new[] { ("impressions", (decimal)row.Impressions), ("engagements", row.Engagements), ("conversions", row.Conversions), ("spend", row.Spend), ("revenue", row.Revenue) })
        {
            if (value < 0)
            {
                yield return (field, $"{char.ToUpperInvariant(field[0])}{field[1..]} cannot be negative.");
            }
        }
    }

    public static readonly IReadOnlyList<ImportField> ResultFields =
    [
        new("day", true, "the day, yyyy-MM-dd"),
        new("channel", true, "Email, Social, Search, Events, InApp, Partners or Other"),
        new("impressions", false, "people shown or sent it"),
        new("engagements", false, "clicks, opens, replies"),
        new("conversions", false, "sign-ups, purchases, renewals"),
        new("spend", false, "what the day cost"),
        new("revenue", false, "revenue attributed to the campaign"),
    ];

    /// <summary>Imports results from CSV: every row checked, all or nothing unless told to keep the good rows.</summary>
    public async Task<CsvImportResult?> ImportResultsAsync(
        Guid id, TextReader reader, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        if (ResultsRefusal(campaign) is { } refusal)
        {
            throw new RequestValidationException("status", refusal);
        }

        var good = new List<CampaignResultInput>();
        var rejected = new List<ImportRowProblem>();
        var seen = new HashSet<(DateOnly, CampaignChannel)>();
        var read = 0;
        await foreach (var (row, field) in CsvImport.RowsAsync(reader, ResultFields, mapping, ct))
        {
            read++;
            var rowProblems = new List<ImportRowProblem>();
            var input = new CampaignResultInput
            {
                Day = DateOnly.TryParseExact(field("day"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null,
                Channel = Enum.TryParse<CampaignChannel>(field("channel"), ignoreCase: true, out var ch) && Enum.IsDefined(ch) ? ch : null,
                Impressions = Whole(field("impressions"), "impressions"),
                Engagements = Whole(field("engagements"), "engagements"),
                Conversions = Whole(field("conversions"), "conversions"),
                Spend = Amount(field("spend"), "spend"),
                Revenue = Amount(field("revenue"), "revenue"),
            };
            if (input.Day is null && field("day").Length > 0)
            {
                rowProblems.Add(new ImportRowProblem(row, "day", $"'{field("day")}' is not a day (yyyy-MM-dd)."));
            }
            else if (input.Channel is null && field("channel").Length > 0)
            {
                rowProblems.Add(new ImportRowProblem(row, "channel", $"'{field("channel")}' is not a channel."));
            }
            else
            {
                rowProblems.AddRange(RowProblems(campaign, input, Today).Select(p => new ImportRowProblem(row, p.Field, p.Message)));
            }

            if (rowProblems.Count == 0 && !seen.Add((input.Day!.Value, input.Channel!.Value)))
            {
                rowProblems.Add(new ImportRowProblem(row, "day", $"{input.Day:yyyy-MM-dd} on {input.Channel} appears earlier in the file."));
            }

            if (rowProblems.Count == 0)
            {
                good.Add(input);
            }
            else
            {
                rejected.AddRange(rowProblems);
            }

            if (read % 500 == 0)
            {
                progress?.Report(read);
            }

            long Whole(string text, string name)
            {
                if (text.Length == 0) return 0;
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
                rowProblems.Add(new ImportRowProblem(row, name, $"'{text}' is not a whole number."));
                return 0;
            }

            decimal Amount(string text, string name)
            {
                if (text.Length == 0) return 0;
                if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var n)) return n;
                rowProblems.Add(new ImportRowProblem(row, name, $"'{text}' is not a number (use a dot for decimals)."));
                return 0;
            }
        }

        progress?.Report(read);
        var truncated = rejected.Count > CsvImport.MaxReportedProblems;
        var report = rejected.Take(CsvImport.MaxReportedProblems).ToList();
        if (read == 0)
        {
            throw new RequestValidationException("file", "The file has a header but no rows.");
        }

        if (rejected.Count > 0 && allOrNothing)
        {
            return new CsvImportResult(read, 0, 0, report, truncated, Applied: false) { DuplicateRule = ResultsRule };
        }

        await UpsertAsync(db, id, good, ct);
        return new CsvImportResult(read, good.Count, 0, report, truncated, Applied: true) { DuplicateRule = ResultsRule };
    }

    private const string ResultsRule = "A day and channel already recorded for the campaign is replaced by the imported figures, so importing a file again changes nothing.";

    private async Task UpsertAsync(PsmDb db, Guid id, IReadOnlyList<CampaignResultInput> rows, CancellationToken ct)
    {
        var existing = await db.Set<CampaignResult>().Where(r => r.CampaignId == id).ToDictionaryAsync(r => (r.Day, r.Channel), ct);
        var now = time.GetUtcNow();
        foreach (var row in rows)
        {
            if (!existing.TryGetValue((row.Day!.Value, row.Channel!.Value), out var result))
            {
                result = new CampaignResult { CampaignId = id, Day = row.Day.Value, Channel = row.Channel.Value };
                db.Add(result);
            }

            result.Impressions = row.Impressions;
            result.Engagements = row.Engagements;
            result.Conversions = row.Conversions;
            result.Spend = row.Spend;
            result.Revenue = row.Revenue;
            result.RecordedAt = now;
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary>The results page: totals against targets, channels against what is typical, days, flags and their likely causes.</summary>
    public async Task<CampaignResultsView?> ResultsViewAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await Load(db).SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        var (byChannel, daily, productTypical, channelTypical) = await ResultQueriesAsync(db, campaign.Id, campaign.ProductId, ct);
        var totals = byChannel.Values.Aggregate(ResultTotals.Zero, (a, b) => a.Add(b));
        var channels = byChannel.OrderBy(c => c.Key)
            .Select(c => new ChannelResults(c.Key, c.Value, channelTypical.GetValueOrDefault(c.Key, ResultTotals.Zero))).ToList();
        var flags = Underperformance.Assess(totals, productTypical, channels.ToDictionary(c => c.Channel, c => (c.Totals, c.Typical)),
            Underperformance.TargetsMet(totals, campaign.TargetConversions, campaign.TargetRevenue));
        var causes = new List<FitCheck>();
        var audience = await AudienceAsync(db, campaign.Segment, ct);
        if (flags.Count > 0)
        {
            causes.AddRange((await FitAsync(db, campaign, audience, ct)).Where(f => f.Level != FitLevel.Ok));
        }

        var targets = new List<TargetProgress> { new("Budget spent", totals.Spend, campaign.Budget) };
        if (campaign.TargetConversions is { } conversions) targets.Add(new TargetProgress("Conversions", totals.Conversions, conversions));
        if (campaign.TargetRevenue is { } revenue) targets.Add(new TargetProgress("Attributed revenue", totals.Revenue, revenue));
        var allTypical = channelTypical.Values.Aggregate(ResultTotals.Zero, (a, b) => a.Add(b));
        return new CampaignResultsView(totals, targets, channels, daily, productTypical, allTypical, flags, causes,
            await ConsistencyAsync(db, campaign, totals, audience, ct));
    }

    /// <summary>
    /// The four aggregates behind the results page, each one GROUP BY in the database: this campaign by
    /// channel and by day, and the other campaigns' totals for the same product and per channel.
    /// </summary>
    public static async Task<(Dictionary<CampaignChannel, ResultTotals> ByChannel, List<DailyResults> Daily, ResultTotals ProductTypical,
        Dictionary<CampaignChannel, ResultTotals> ChannelTypical)> ResultQueriesAsync(PsmDb db, Guid campaignId, Guid productId, CancellationToken ct)
    {
        var results = db.Set<CampaignResult>().AsNoTracking();
        var byChannel = await results.Where(r => r.CampaignId == campaignId).GroupBy(r => r.Channel)
            .Select(g => new { g.Key, I = g.Sum(r => r.Impressions), E = g.Sum(r => r.Engagements), C = g.Sum(r => r.Conversions), S = g.Sum(r => r.Spend), R = g.Sum(r => r.Revenue) })
            .ToDictionaryAsync(x => x.Key, x => new ResultTotals(x.I, x.E, x.C, x.S, x.R), ct);
        var daily = (await results.Where(r => r.CampaignId == campaignId).GroupBy(r => r.Day)
                .Select(g => new { g.Key, I = g.Sum(r => r.Impressions), E = g.Sum(r => r.Engagements), C = g.Sum(r => r.Conversions), S = g.Sum(r => r.Spend), R = g.Sum(r => r.Revenue) })
                .ToListAsync(ct))
            .OrderBy(x => x.Key).Select(x => new DailyResults(x.Key, new ResultTotals(x.I, x.E, x.C, x.S, x.R))).ToList();
        var others = results.Where(r => r.CampaignId != campaignId);
        var product = await (from r in others join c in db.Set<Campaign>() on r.CampaignId equals c.Id where c.ProductId == productId select r).GroupBy(_ => 1)
            .Select(g => new { I = g.Sum(r => r.Impressions), E = g.Sum(r => r.Engagements), C = g.Sum(r => r.Conversions), S = g.Sum(r => r.Spend), R = g.Sum(r => r.Revenue) })
            .SingleOrDefaultAsync(ct);
        var channelTypical = await others.GroupBy(r => r.Channel)
            .Select(g => new { g.Key, I = g.Sum(r => r.Impressions), E = g.Sum(r => r.Engagements), C = g.Sum(r => r.Conversions), S = g.Sum(r => r.Spend), R = g.Sum(r => r.Revenue) })
            .ToDictionaryAsync(x => x.Key, x => new ResultTotals(x.I, x.E, x.C, x.S, x.R), ct);
        return (byChannel, daily, product is null ? ResultTotals.Zero : new ResultTotals(product.I, product.E, product.C, product.S, product.R), channelTypical);
    }

    // ---- KPIs and review ----

    /// <summary>
    /// The KPIs the campaign was meant to move, for its product and segment where the metric can be
    /// cut that way: the registry's customer-outcome metrics and the metrics of the key results it serves,
    /// over the campaign's own length before it, while it ran, and after it (once that has begun).
    /// </summary>
    public async Task<IReadOnlyList<CampaignKpi>?> KpisAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var campaign = await db.Set<Campaign>().AsNoTracking().Include(c => c.KeyResults).Include(c => c.Product).Include(c => c.Segment)
            .SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
        {
            return null;
        }

        var keys = metrics.Definitions.Where(d => d.CustomerOutcome).Select(d => d.Key)
            .Concat(campaign.KeyResults.Where(k => !k.IsManual).Select(k => k.MetricKey)).Distinct().ToList();
        var length = campaign.EndsOn.DayNumber - campaign.StartsOn.DayNumber + 1;
        var end = campaign.EndsOn.AddDays(1);
        var today = Today;
        var list = new List<CampaignKpi>();
        foreach (var key in keys)
        {
            if (metrics.Find(key) is not { } definition)
            {
                continue;
            }

            var byProduct = definition.Dimensions.Contains(MetricDimension.Product);
            var bySegment = campaign.SegmentId is not null && definition.Dimensions.Contains(MetricDimension.Segment);
            var cut = string.Join(", ", new[] { byProduct ? campaign.Product!.Name : null, bySegment ? campaign.Segment!.Name : null }.Where(x => x is not null));
            var query = new MetricQuery(campaign.StartsOn.AddDays(-length), campaign.StartsOn, byProduct ? campaign.ProductId : null, null,
                bySegment ? campaign.SegmentId.ToString() : null);
            async Task<KpiWindow> Window(DateOnly from, DateOnly to) =>
                new(from, to, await metrics.EvaluateAsync(key, query with { From = from, To = to }, ct));
            var before = await Window(campaign.StartsOn.AddDays(-length), campaign.StartsOn);
            var during = await Window(campaign.StartsOn, end);
            var after = end <= today ? await Window(end, end.AddDays(length)) : null;
            list.Add(new CampaignKpi(key, definition.Name, definition.Unit, definition.Better, cut.Length == 0 ? "all customers" : cut, before, during, after));
        }

        return list;
    }

    /// <summary>Records a campaign review as a decision, linked to the campaign and the initiatives it promotes.</summary>
    public async Task<DecisionDto?> RecordReviewAsync(Guid id, CampaignReviewInput input, CancellationToken ct = default)
    {
        var detail = await GetAsync(id, ct);
        if (detail is null)
        {
            return null;
        }

        var view = await ResultsViewAsync(id, ct);
        var findings = view!.Flags.Select(f => f.Reason).Concat(detail.Fit.Where(f => f.Level != FitLevel.Ok).Select(f => $"{f.Title}: {f.Reason}")).ToList();
        var c = detail.Campaign;
        return await records.RecordDecisionAsync(new DecisionInput
        {
            Title = $"Campaign review: {c.Name}",
            Context = Truncate($"{CampaignFit.Describe(c.Goal)} campaign for {c.Product.Name} ({c.StartsOn:yyyy-MM-dd} to {c.EndsOn:yyyy-MM-dd}). " +
                      (findings.Count == 0 ? "No flags." : "Findings: " + string.Join(" ", findings)), 4000),
            Outcome = input.Outcome, Rationale = input.Rationale, DecidedBy = input.DecidedBy,
            InitiativeIds = c.Promises.Select(p => p.Id).ToList(), CampaignIds = [id],
        }, ct);
    }

    // ---- shared ----

    private static IQueryable<Campaign> Load(PsmDb db) =>
        db.Set<Campaign>().AsNoTracking().Include(c => c.Product).Include(c => c.Service).Include(c => c.Segment).Include(c => c.Owner)
            .Include(c => c.Promises).Include(c => c.Objectives).Include(c => c.KeyResults).AsSplitQuery();

    private static CampaignDto ToDto(Campaign c) => new(
        c.Id, c.Name, new NamedRef(c.ProductId, c.Product!.Name), c.Service is { } s ? new NamedRef(s.Id, s.Name) : null, c.Goal, c.PlannedStage,
        c.Service?.Stage ?? c.Product.Stage, c.Segment is { } seg ? new NamedRef(seg.Id, seg.Name) : null, c.Channels, c.Message, c.SellingPoint,
        c.Budget, c.StartsOn, c.EndsOn, c.Owner is { } o ? new NamedRef(o.Id, o.DisplayName) : null, c.Status, c.TargetConversions, c.TargetRevenue,
        c.Promises.OrderBy(p => p.Name).Select(p => new NamedRef(p.Id, p.Name)).ToList(),
        c.Objectives.OrderBy(o => o.Name).Select(o => new NamedRef(o.Id, o.Name)).ToList(),
        c.KeyResults.OrderBy(k => k.Title).Select(k => new NamedRef(k.Id, k.Title)).ToList(), c.CreatedAt, c.Version);

    private async Task<IReadOnlyList<FitCheck>> FitAsync(PsmDb db, Campaign campaign, AudienceCount audience, CancellationToken ct)
    {
        var promised = campaign.Promises.Select(p => p.Id).ToList();
        var promises = await db.Initiatives.AsNoTracking().Where(i => promised.Contains(i.Id)).OrderBy(i => i.Name)
            .Select(i => new PromisedFeature(i.Id, i.Name, i.Status, i.PlannedEnd, i.ReleasedOn)).ToListAsync(ct);
        var current = campaign.ServiceId is { } sid
            ? await db.Services.Where(s => s.Id == sid).Select(s => s.Stage).SingleAsync(ct)
            : await db.Products.Where(p => p.Id == campaign.ProductId).Select(p => p.Stage).SingleAsync(ct);
        var themes = await ThemesAsync(db, campaign, ct);
        return CampaignFit.Check(new FitInput(campaign.Goal, campaign.PlannedStage, current, campaign.StartsOn, promises, themes, audience,
            campaign.SegmentId is not null));
    }

    /// <summary>The themes of the product's feedback in the <see cref="EvidenceDays"/> before the campaign starts (or today, if sooner), and whether the message touches each.</summary>
    private async Task<IReadOnlyList<ThemeSignal>> ThemesAsync(PsmDb db, Campaign campaign, CancellationToken ct)
    {
        var until = campaign.StartsOn < Today ? campaign.StartsOn : Today;
        var since = until.AddDays(-EvidenceDays);
        var productId = campaign.ProductId;
        var stats = await (from ft in db.FeedbackThemes
                join f in db.Feedback on ft.FeedbackId equals f.Id
                where f.ProductId == productId && f.ReceivedOn >= since && f.ReceivedOn <= until
                group f.Sentiment by ft.ThemeId into g
                select new { ThemeId = g.Key, Mentions = g.Count(), Average = g.Average() })
            .ToListAsync(ct);
        if (stats.Count == 0)
        {
            return [];
        }

        var ids = stats.Select(s => s.ThemeId).ToList();
        var themes = await db.Themes.AsNoTracking().Where(t => ids.Contains(t.Id)).Select(t => new { t.Id, t.Name, t.Keywords }).ToListAsync(ct);
        var inMessage = new ThemeMatcher(themes.Select(t => (t.Id, t.Keywords + "\n" + t.Name))).Match($"{campaign.Message}\n{campaign.SellingPoint}").ToHashSet();
        var names = themes.ToDictionary(t => t.Id, t => t.Name);
        return stats.Where(s => names.ContainsKey(s.ThemeId))
            .Select(s => new ThemeSignal(names[s.ThemeId], s.Mentions, Math.Round(s.Average, 2), inMessage.Contains(s.ThemeId)))
            .OrderByDescending(s => s.Mentions).ToList();
    }

    private static async Task<Segment?> SegmentAsync(PsmDb db, Guid? segmentId, CancellationToken ct)
    {
        if (segmentId is not { } id)
        {
            return null;
        }

        return await db.Segments.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct)
               ?? throw new RequestValidationException("segmentId", "That segment no longer exists: choose another, or none for every customer.");
    }

    /// <summary>Checks and applies a plan; returns the target segment (untracked), or null for every customer.</summary>
    private async Task<Segment?> ApplyAsync(PsmDb db, Campaign campaign, CampaignInput input, CancellationToken ct)
    {
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(input.Name)) problems.Add(("name", "Name is required."));
        if (input.Goal is null) problems.Add(("goal", "Choose the campaign's goal."));
        if (input.StartsOn is null) problems.Add(("startsOn", "Give the first day."));
        if (input.EndsOn is null) problems.Add(("endsOn", "Give the last day."));
        var product = await db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == input.ProductId, ct);
        Service? service = null;
        if (product is null || product.ArchivedAt is not null)
        {
            problems.Add(("productId", "There is no such product."));
        }
        else if (input.ServiceId is { } sid)
        {
            service = await db.Services.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sid && s.ProductId == product.Id, ct);
            if (service is null)
            {
                problems.Add(("serviceId", $"{product.Name} has no such service."));
            }
        }

        var stage = service?.Stage ?? product?.Stage;
        var replanned = campaign.ProductId != input.ProductId || campaign.ServiceId != input.ServiceId;
        if (product is not null && stage is { } st && replanned &&
            CatalogRules.RefusalForNewWork(service?.Name ?? product.Name, st, "campaigns") is { } refusal)
        {
            problems.Add((service is null ? "productId" : "serviceId", refusal));
        }

        Segment? segment = null;
        try
        {
            segment = await SegmentAsync(db, input.SegmentId, ct);
        }
        catch (RequestValidationException invalid)
        {
            problems.AddRange(invalid.Errors.SelectMany(e => e.Value.Select(m => (e.Key, m))));
        }

        if (input.StartsOn is { } start && input.EndsOn is { } finish && finish < start)
        {
            problems.Add(("endsOn", "The campaign must end on or after the day it starts."));
        }

        if (input.Channels is not { Count: > 0 })
        {
            problems.Add(("channels", "Choose at least one channel."));
        }

        if (input.Budget < 0) problems.Add(("budget", "The budget cannot be negative."));
        if (input.TargetConversions < 0) problems.Add(("targetConversions", "The conversion target cannot be negative."));
        if (input.TargetRevenue < 0) problems.Add(("targetRevenue", "The revenue target cannot be negative."));
        if (input.OwnerId is { } owner && !await db.Users.AnyAsync(u => u.Id == owner, ct))
        {
            problems.Add(("ownerId", "No user has this id."));
        }

        var promised = (input.PromisedInitiativeIds ?? []).Distinct().ToList();
        var initiatives = await db.Initiatives.Where(i => promised.Contains(i.Id)).ToListAsync(ct);
        if (initiatives.Count != promised.Count) problems.Add(("promisedInitiativeIds", "One or more promised initiatives do not exist."));
        var objectiveIds = (input.ObjectiveIds ?? []).Distinct().ToList();
        var objectives = await db.Objectives.Where(o => objectiveIds.Contains(o.Id)).ToListAsync(ct);
        if (objectives.Count != objectiveIds.Count) problems.Add(("objectiveIds", "One or more objectives do not exist."));
        var keyResultIds = (input.KeyResultIds ?? []).Distinct().ToList();
        var keyResults = await db.KeyResults.Where(k => keyResultIds.Contains(k.Id)).ToListAsync(ct);
        if (keyResults.Count != keyResultIds.Count) problems.Add(("keyResultIds", "One or more key results do not exist."));
        RequestValidationException.ThrowIfAny(problems);

        if (replanned || campaign.CreatedAt == default)
        {
            campaign.PlannedStage = stage!.Value;
        }

        campaign.Name = input.Name.Trim();
        campaign.ProductId = product!.Id;
        campaign.ServiceId = service?.Id;
        campaign.Goal = input.Goal!.Value;
        campaign.SegmentId = segment?.Id;
        campaign.Channels = input.Channels.Distinct().Order().ToList();
        campaign.Message = input.Message.Trim();
        campaign.SellingPoint = input.SellingPoint.Trim();
        campaign.Budget = input.Budget;
        campaign.StartsOn = input.StartsOn!.Value;
        campaign.EndsOn = input.EndsOn!.Value;
        campaign.OwnerId = input.OwnerId;
        campaign.TargetConversions = input.TargetConversions;
        campaign.TargetRevenue = input.TargetRevenue;
        campaign.Promises = initiatives;
        campaign.Objectives = objectives;
        campaign.KeyResults = keyResults;
        return segment;
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
