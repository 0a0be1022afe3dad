using Microsoft.Extensions.DependencyInjection;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Insights;

namespace Psm.Bench;

/// <summary>
/// The company view (the home page of admins, product managers and stakeholders) over a company's year, built by PSM running as
/// an operator runs it, against the same figures by hand-written SQL over the records: each card's value, the previous period's,
/// the significance test's sums for both, twelve months of trend, and the attention list's breaching tickets. Both sides read
/// the cards at once, each on its own connection.
/// </summary>
public static class CompanyViewScenario
{
    public const string Name = "company-view";

    /// <summary>The background jobs are off: the bench measures the page's reads alone, with the rollups caught up as the job keeps them.</summary>
    public static readonly Dictionary<string, string?> Quiet = new()
    {
        ["Alerts:Seconds"] = "0", ["Churn:TrainHours"] = "0", ["Rollups:Seconds"] = "0", ["Commerce:RecomputeMinutes"] = "0", ["Outbox:SendSeconds"] = "0",
        ["Mail:FetchSeconds"] = "0", ["Webhooks:PollSeconds"] = "0", ["Webhooks:ObjectiveWatchSeconds"] = "0", ["BusinessReview:MailHours"] = "0",
    };

    public static async Task<ScenarioResult> RunAsync(string provider, int customers, int answers, int tickets, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = await InsightsData.SeedAsync(database, customers, answers, tickets);
        var days = await database.CatchUpRollupsAsync();
        Console.WriteLine($"  seeded {customers:N0} customers, {answers:N0} answers, {tickets:N0} tickets and caught up {days} rollup days in {clock.Elapsed.TotalSeconds:N0} s");

        var (app, _) = await BenchHost.StartAsync(database, Quiet);
        try
        {
            CompanyView? view = null;
            Dictionary<string, RawCard> raw = [];
            async Task Psm()
            {
                await using var scope = app.Services.CreateAsyncScope();
                view = await scope.ServiceProvider.GetRequiredService<CompanyDashboard>().BuildAsync(30);
            }

            async Task Raw() => raw = await RawAsync(database, data, view!.From, view.To, view.PreviousFrom);

            await Psm();
            await Raw();
            var psmRuns = new List<Measurement>();
            var rawRuns = new List<Measurement>();
            for (var i = 0; i < repeats; i++)
            {
                rawRuns.Add(await Measurement.OfAsync(Raw));
                psmRuns.Add(await Measurement.OfAsync(Psm));
            }

            Check(view!, raw);

            // Where the time goes: each card alone, once (the view waits for the slowest).
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var dashboard = scope.ServiceProvider.GetRequiredService<CompanyDashboard>();
                var timings = new List<string>();
                foreach (var key in CompanyDashboard.CardKeys)
                {
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    await dashboard.CardAsync(key, view!.From, view.To, view.PreviousFrom);
                    timings.Add($"{key} {watch.ElapsedMilliseconds:N0} ms");
                }

                Console.WriteLine($"  each card alone: {string.Join(", ", timings)}");
            }

            var p95 = psmRuns.Select(m => m.Elapsed.TotalMilliseconds).Order().ElementAt((int)Math.Ceiling(0.95 * psmRuns.Count) - 1);
            var rawP95 = rawRuns.Select(m => m.Elapsed.TotalMilliseconds).Order().ElementAt((int)Math.Ceiling(0.95 * rawRuns.Count) - 1);
            Console.WriteLine($"  p95 over {repeats} runs: PSM {p95:N0} ms, hand-written SQL {rawP95:N0} ms");
            var (pm, rm) = (Measurement.Median(psmRuns), Measurement.Median(rawRuns));
            return new ScenarioResult(Name, provider, customers + answers + tickets, "views/s", pm, rm, 1 / pm.Elapsed.TotalSeconds, 1 / rm.Elapsed.TotalSeconds,
                Limit: $"the cards' figures, previous periods, test sums and twelve-month trends and the breaching tickets by hand-written SQL over the records, ADO.NET; p95 PSM {p95:N0} ms, SQL {rawP95:N0} ms");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public sealed record RawCard(double? Value, double? Previous, Dictionary<DateOnly, double> Trend, double? PValue, double Tolerance = 0.01);

    /// <summary>Every card agrees with the hand-written SQL: value, previous period, p-value and each month of the trend.</summary>
    private static void Check(CompanyView view, Dictionary<string, RawCard> raw)
    {
        foreach (var card in view.Cards.Where(c => raw.ContainsKey(c.Key)))
        {
            var expected = raw[card.Key];
            bool Same(double? a, double? b, double tolerance) => (a, b) switch
            {
                (null, null) => true,
                ({ } x, { } y) => Math.Abs(x - y) <= tolerance,
                _ => false,
            };

            if (!Same(card.Value, expected.Value, expected.Tolerance * Math.Max(1, Math.Abs(expected.Value ?? 0)))
                || !Same(card.Previous, expected.Previous, expected.Tolerance * Math.Max(1, Math.Abs(expected.Previous ?? 0))))
            {
                throw new InvalidOperationException($"{card.Key}: PSM {card.Value} (before {card.Previous}), hand-written SQL {expected.Value} (before {expected.Previous}).");
            }

            if (!Same(card.Change?.PValue, expected.PValue, 0.001))
            {
                throw new InvalidOperationException($"{card.Key}: PSM's p = {card.Change?.PValue}, hand-written SQL's {expected.PValue}.");
            }

            var points = card.Trend.Where(p => p.Value is not null).ToList();
            if (points.Count != expected.Trend.Count || points.Any(p => !expected.Trend.TryGetValue(p.Bucket, out var v)
                    || !Same(p.Value, v, expected.Tolerance * Math.Max(1, Math.Abs(v)))))
            {
                throw new InvalidOperationException($"{card.Key}'s trend: PSM {string.Join(", ", points.Select(p => $"{p.Bucket:yyyy-MM} {p.Value}"))}; " +
                                                    $"hand-written SQL {string.Join(", ", expected.Trend.OrderBy(t => t.Key).Select(t => $"{t.Key:yyyy-MM} {t.Value}"))}.");
            }
        }

        if (raw.Count != 9)
        {
            throw new InvalidOperationException($"Expected nine cards by hand; there are {raw.Count}.");
        }
    }

    /// <summary>Each card by hand on its own connection, all at once, as PSM reads its cards; then the breaching tickets.</summary>
    private static async Task<Dictionary<string, RawCard>> RawAsync(BenchDatabase database, InsightsData data, DateOnly from, DateOnly to, DateOnly previousFrom)
    {
        var thisMonth = new DateOnly(to.Year, to.Month, 1);
        var p = new Period(from, to, previousFrom, thisMonth.AddMonths(-12), thisMonth);
        async Task<(string Key, RawCard? Card)> On(string key, Func<InsightsData.Sql, Task<RawCard?>> card)
        {
            await using var connection = await database.OpenRawAsync();
            return (key, await card(new InsightsData.Sql(database, connection)));
        }

        var cards = await Task.WhenAll(
            On("survey.nps", sql => SurveyAsync(sql, data, SurveyKind.Nps, p)),
            On("survey.csat", sql => SurveyAsync(sql, data, SurveyKind.Csat, p)),
            On("survey.ces", sql => SurveyAsync(sql, data, SurveyKind.Ces, p)),
            On("commerce.churn_rate", async sql => await ShareAsync(p, (a, b) => ChurnAsync(sql, a, b), monthly: true)),
            On("commerce.mrr", async sql => await MrrAsync(sql, p, to.AddDays(-1))),
            On("commerce.repeat_purchase_rate", async sql => await RepeatAsync(sql, p)),
            On("service.sla_compliance", async sql => await SlaAsync(sql, p)),
            On("service.first_response_median", async sql => await MedianAsync(sql, p)),
            On("campaign.return_on_spend", async sql => await ReturnAsync(sql, p)),
            On("attention", async sql => await BreachingAsync(sql)));
        return cards.Where(c => c.Card is not null).ToDictionary(c => c.Key, c => c.Card!);
    }

    private sealed record Period(DateOnly From, DateOnly To, DateOnly PreviousFrom, DateOnly YearFrom, DateOnly ThisMonth);

    /// <summary>Survey scores: the period's and the previous period's tallies and a tally per month.</summary>
    private static async Task<RawCard?> SurveyAsync(InsightsData.Sql sql, InsightsData data, SurveyKind kind, Period p)
    {
        var ids = string.Join(", ", Enumerable.Range(0, 3).Select(i => $"@s{i}"));
        var surveyIds = Enumerable.Range(0, 3).Select(i => ($"@s{i}", sql.Id(SurveysOf(data, kind)[i]))).ToArray();
        const string tally = """COUNT(*), SUM(CASE WHEN "Score" >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN "Score" <= 6 THEN 1 ELSE 0 END), SUM("Score"), SUM("Score" * "Score"), SUM(CASE WHEN "Score" >= 4 THEN 1 ELSE 0 END)""";
        async Task<double?[]> Tally(DateOnly a, DateOnly b) => (await sql.RowsAsync(
            $"""SELECT {tally} FROM "SurveyResponses" WHERE "SurveyId" IN ({ids}) AND "RespondedOn" >= @a AND "RespondedOn" < @b""",
            [.. surveyIds, ("@a", sql.Day(a)), ("@b", sql.Day(b))]))[0];
        var now = await Tally(p.From, p.To);
        var before = await Tally(p.PreviousFrom, p.From);
        var months = await sql.RowsAsync(
            $"""SELECT {sql.MonthOfDay("\"RespondedOn\"")}, {tally} FROM "SurveyResponses" WHERE "SurveyId" IN ({ids}) AND "RespondedOn" >= @a AND "RespondedOn" < @b GROUP BY 1""",
            [.. surveyIds, ("@a", sql.Day(p.YearFrom)), ("@b", sql.Day(p.ThisMonth))]);
        (double? Figure, DrillSummary? Summary) Score(double?[] t, int at)
        {
            var n = (long)(t[at] ?? 0);
            if (n == 0) return (null, null);
            double promoters = t[at + 1] ?? 0, detractors = t[at + 2] ?? 0, sum = t[at + 3] ?? 0, squares = t[at + 4] ?? 0, good = t[at + 5] ?? 0;
            return kind switch
            {
                SurveyKind.Nps => (Math.Round(100 * (promoters - detractors) / n, 2),
                    new DrillSummary(n, (long)promoters, 100 * (promoters - detractors), 10_000 * (promoters + detractors), null, Math.Round(100 * (promoters - detractors) / n, 2), "")),
                SurveyKind.Csat => (Math.Round(100 * good / n, 2), new DrillSummary(n, (long)good, null, null, null, Math.Round(100 * good / n, 2), "")),
                _ => (Math.Round(sum / n, 2), new DrillSummary(n, 0, sum, squares, null, Math.Round(sum / n, 2), "")),
            };
        }

        var (aggregate, scale) = kind == SurveyKind.Csat ? (RowAggregate.Share, 100.0) : (RowAggregate.Mean, 1.0);
        var (value, summary) = Score(now, 0);
        var (previous, earlier) = Score(before, 0);
        var test = SurveyScores.Compare(earlier?.Estimate(aggregate, scale), summary?.Estimate(aggregate, scale));
        return new RawCard(value, previous, months.Where(m => Score(m, 1).Figure is not null).ToDictionary(m => DateOnly.FromDayNumber((int)m[0]!), m => Score(m, 1).Figure!.Value),
            test is null ? null : Math.Round(test.PValue, 4));
    }

    /// <summary>Churn: customers with a subscription running on the first day, and of those, whose last one ended in the period.</summary>
    private static async Task<(long Active, long Churned)> ChurnAsync(InsightsData.Sql sql, DateOnly a, DateOnly b)
    {
        var row = (await sql.RowsAsync("""
            SELECT COUNT(*), SUM(CASE WHEN x.cancelled = 1 AND x.still = 0 THEN 1 ELSE 0 END) FROM (
              SELECT MAX(CASE WHEN "StartedOn" <= @a AND ("CancelledOn" IS NULL OR "CancelledOn" > @a) THEN 1 ELSE 0 END) AS active,
                     MAX(CASE WHEN "StartedOn" <= @b AND ("CancelledOn" IS NULL OR "CancelledOn" > @b) THEN 1 ELSE 0 END) AS still,
                     MAX(CASE WHEN "CancelledOn" > @a AND "CancelledOn" <= @b THEN 1 ELSE 0 END) AS cancelled
              FROM "Subscriptions" GROUP BY "CustomerId") x
            WHERE x.active = 1
            """, ("@a", sql.Day(a)), ("@b", sql.Day(b))))[0];
        return ((long)(row[0] ?? 0), (long)(row[1] ?? 0));
    }

    /// <summary>MRR: monthly amounts of subscriptions running at the period's close (today while it runs).</summary>
    private static async Task<RawCard> MrrAsync(InsightsData.Sql sql, Period p, DateOnly today)
    {
        async Task<double> Mrr(DateOnly day) => (await sql.RowsAsync("""
            SELECT COALESCE(SUM("MonthlyAmount"), 0) FROM "Subscriptions" WHERE "Currency" = 'EUR' AND "StartedOn" <= @d AND ("CancelledOn" IS NULL OR "CancelledOn" > @d)
            """, ("@d", sql.Day(day))))[0][0] ?? 0;
        var trend = new Dictionary<DateOnly, double>();
        for (var m = p.YearFrom; m < p.ThisMonth; m = m.AddMonths(1))
        {
            trend[m] = Math.Round(await Mrr(m.AddMonths(1)), 2);
        }

        return new RawCard(Math.Round(await Mrr(today), 2), Math.Round(await Mrr(p.From), 2), trend, null);
    }

    /// <summary>Repeat purchase: of the customers with an order in the period, the share with two or more.</summary>
    private static async Task<RawCard> RepeatAsync(InsightsData.Sql sql, Period p)
    {
        async Task<(long, long)> Repeat(DateOnly a, DateOnly b)
        {
            var row = (await sql.RowsAsync("""
                SELECT COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) FROM (
                  SELECT COUNT(*) AS n FROM "Orders" WHERE "OrderedOn" >= @a AND "OrderedOn" < @b GROUP BY "CustomerId") x
                """, ("@a", sql.Day(a)), ("@b", sql.Day(b))))[0];
            return ((long)(row[0] ?? 0), (long)(row[1] ?? 0));
        }

        var months = await sql.RowsAsync($"""
            SELECT m, COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) FROM (
              SELECT {sql.MonthOfDay("\"OrderedOn\"")} AS m, COUNT(*) AS n FROM "Orders" WHERE "OrderedOn" >= @a AND "OrderedOn" < @b GROUP BY 1, "CustomerId") x
            GROUP BY m
            """, ("@a", sql.Day(p.YearFrom)), ("@b", sql.Day(p.ThisMonth)));
        return await ShareAsync(p, Repeat, monthly: false, months);
    }

    /// <summary>SLA compliance: tickets opened in the period under a policy that missed neither target.</summary>
    private static async Task<RawCard> SlaAsync(InsightsData.Sql sql, Period p)
    {
        const string met = """SUM(CASE WHEN "FirstResponseBreachedAt" IS NULL AND "ResolutionBreachedAt" IS NULL THEN 1 ELSE 0 END)""";
        async Task<(long, long)> Sla(DateOnly a, DateOnly b)
        {
            var row = (await sql.RowsAsync($"""SELECT COUNT(*), {met} FROM "Tickets" WHERE "CreatedAt" >= @a AND "CreatedAt" < @b AND "SlaPolicyId" IS NOT NULL""",
                ("@a", sql.Time(a)), ("@b", sql.Time(b))))[0];
            return ((long)(row[0] ?? 0), (long)(row[1] ?? 0));
        }

        var months = await sql.RowsAsync($"""
            SELECT {sql.MonthOfTime("\"CreatedAt\"")}, COUNT(*), {met} FROM "Tickets" WHERE "CreatedAt" >= @a AND "CreatedAt" < @b AND "SlaPolicyId" IS NOT NULL GROUP BY 1
            """, ("@a", sql.Time(p.YearFrom)), ("@b", sql.Time(p.ThisMonth)));
        return await ShareAsync(p, Sla, monthly: false, months);
    }

    /// <summary>First response median, nearest rank, over tickets first answered in the period.</summary>
    private static async Task<RawCard> MedianAsync(InsightsData.Sql sql, Period p)
    {
        async Task<double?> Median(DateOnly a, DateOnly b)
        {
            const string answered = """FROM "Tickets" WHERE "FirstResponseAt" >= @a AND "FirstResponseAt" < @b AND "FirstResponseMinutes" IS NOT NULL""";
            var n = (long)((await sql.RowsAsync($"SELECT COUNT(*) {answered}", ("@a", sql.Time(a)), ("@b", sql.Time(b))))[0][0] ?? 0);
            if (n == 0) return null;
            var rank = (long)Math.Ceiling(0.5 * n) - 1;
            return Math.Round((await sql.RowsAsync($"""SELECT "FirstResponseMinutes" {answered} ORDER BY "FirstResponseMinutes" LIMIT 1 OFFSET {rank}""",
                ("@a", sql.Time(a)), ("@b", sql.Time(b))))[0][0]!.Value, 1);
        }

        var trend = new Dictionary<DateOnly, double>();
        for (var m = p.YearFrom; m < p.ThisMonth; m = m.AddMonths(1))
        {
            if (await Median(m, m.AddMonths(1)) is { } v) trend[m] = v;
        }

        // The rollups keep times above an hour as the lower edge of a bin at most 1/60 as wide (ServiceMetrics' definition says so).
        return new RawCard(await Median(p.From, p.To), await Median(p.PreviousFrom, p.From), trend, null, Tolerance: 1 / 60.0);
    }

    /// <summary>Return on campaign spend: revenue over spend in the period.</summary>
    private static async Task<RawCard> ReturnAsync(InsightsData.Sql sql, Period p)
    {
        async Task<double?> Return(DateOnly a, DateOnly b)
        {
            var row = (await sql.RowsAsync("""SELECT SUM("Revenue"), SUM("Spend") FROM "CampaignResults" WHERE "Day" >= @a AND "Day" < @b""", ("@a", sql.Day(a)), ("@b", sql.Day(b))))[0];
            return row[1] is > 0 ? Math.Round(row[0]!.Value / row[1]!.Value, 2) : null;
        }

        var months = await sql.RowsAsync($"""
            SELECT {sql.MonthOfDay("\"Day\"")}, SUM("Revenue"), SUM("Spend") FROM "CampaignResults" WHERE "Day" >= @a AND "Day" < @b GROUP BY 1
            """, ("@a", sql.Day(p.YearFrom)), ("@b", sql.Day(p.ThisMonth)));
        return new RawCard(await Return(p.From, p.To), await Return(p.PreviousFrom, p.From),
            months.Where(m => m[2] is > 0).ToDictionary(m => DateOnly.FromDayNumber((int)m[0]!), m => Math.Round(m[1]!.Value / m[2]!.Value, 2)), null);
    }

    /// <summary>The attention list's breaching tickets: the count and the five most urgent, with their customers (no card).</summary>
    private static async Task<RawCard?> BreachingAsync(InsightsData.Sql sql)
    {
        await sql.RowsAsync("""SELECT COUNT(*) FROM "Tickets" WHERE "ResolvedAt" IS NULL AND ("FirstResponseBreachedAt" IS NOT NULL OR "ResolutionBreachedAt" IS NOT NULL)""");
        await sql.TextAsync("""
            SELECT t."Number", c."Name" FROM "Tickets" t JOIN "Customers" c ON c."Id" = t."CustomerId"
            WHERE t."ResolvedAt" IS NULL AND (t."FirstResponseBreachedAt" IS NOT NULL OR t."ResolutionBreachedAt" IS NOT NULL)
            ORDER BY CASE t."Priority" WHEN 'Urgent' THEN 0 WHEN 'High' THEN 1 ELSE 2 END, t."CreatedAt" LIMIT 5
            """);
        return null;
    }

    /// <summary>A share's card: the period's and the previous period's counts with the z-test, and a trend per month (by query or from grouped rows).</summary>
    private static async Task<RawCard> ShareAsync(Period p, Func<DateOnly, DateOnly, Task<(long N, long Counted)>> count, bool monthly, List<double?[]>? months = null)
    {
        var (n, counted) = await count(p.From, p.To);
        var (n0, counted0) = await count(p.PreviousFrom, p.From);
        double? Figure(long total, long hits) => total == 0 ? null : Math.Round(100.0 * hits / total, 2);
        var trend = new Dictionary<DateOnly, double>();
        for (var m = p.YearFrom; monthly && m < p.ThisMonth; m = m.AddMonths(1))
        {
            var (mn, mc) = await count(m, m.AddMonths(1));
            if (Figure(mn, mc) is { } v) trend[m] = v;
        }

        foreach (var m in months ?? [])
        {
            if (Figure((long)(m[1] ?? 0), (long)(m[2] ?? 0)) is { } v) trend[DateOnly.FromDayNumber((int)m[0]!)] = v;
        }

        var test = SurveyScores.Compare(new DrillSummary(n0, counted0, null, null, null, Figure(n0, counted0), "").Estimate(RowAggregate.Share, 100),
            new DrillSummary(n, counted, null, null, null, Figure(n, counted), "").Estimate(RowAggregate.Share, 100));
        return new RawCard(Figure(n, counted), Figure(n0, counted0), trend, test is null ? null : Math.Round(test.PValue, 4));
    }

    private static List<Guid> SurveysOf(InsightsData data, SurveyKind kind) => data.AllSurveys.Where(s => s.Kind == kind).Select(s => s.Id).ToList();
}
