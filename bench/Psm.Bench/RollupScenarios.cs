using System.Diagnostics;
using System.Globalization;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>The daily rollups (ADR-015): survey scores read from them, and what keeping them costs the writes.</summary>
public static class RollupScenarios
{
    public const string SurveyScores = "survey-scores";
    public const string Upkeep = "rollup-upkeep";

    /// <summary>
    /// A year of NPS answers to one survey: the year's score and its monthly trend through the metric registry (both from
    /// the rollups), against the same two figures by hand-written SQL over the answers.
    /// </summary>
    public static async Task<ScenarioResult> RunSurveyScoresAsync(string provider, int answers, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        var survey = new Survey { Name = "Bench NPS", Kind = SurveyKind.Nps, Question = "Recommend?", CreatedAt = now };
        await using (var db = database.Factory().CreateDbContext())
        {
            db.Surveys.Add(survey);
            await db.SaveChangesAsync();
        }

        var rng = new Random(23);
        var yearAgo = now.AddYears(-1);
        // Anonymous answers (no customer), so the count is not bounded by one answer per customer and wave.
        await MetricSeriesScenario.SeedAsync(database, Enumerable.Range(0, answers).Select(_ =>
        {
            var at = yearAgo.AddSeconds(rng.NextDouble() * (now - yearAgo).TotalSeconds);
            return new SurveyResponse
            {
                SurveyId = survey.Id, Score = Math.Min(10, (int)Math.Round(rng.NextDouble() * 4 + rng.NextDouble() * 7)), Channel = ResponseChannel.Import,
                RespondedAt = at, RespondedOn = DateOnly.FromDateTime(at.UtcDateTime),
            };
        }));
        await using (var analyse = await database.OpenRawAsync())
        {
            await using var command = analyse.CreateCommand();
            command.CommandText = "ANALYZE";
            await command.ExecuteNonQueryAsync();
        }

        var started = Stopwatch.StartNew();
        var days = await database.CatchUpRollupsAsync();
        Console.WriteLine($"  rollups of {answers:N0} answers ({days} days) built in {started.Elapsed.TotalSeconds:N1} s");

        var registry = new MetricRegistry([SurveyMetric.Nps()], database.Factory());
        var to = new DateOnly(now.Year, now.Month, 1).AddMonths(1);
        var query = new MetricQuery(to.AddMonths(-12), to);
        double? psmScore = null;
        IReadOnlyList<MetricPoint> psmSeries = [];
        (double? Score, Dictionary<DateOnly, double> Series) raw = (null, []);
        async Task Psm()
        {
            psmScore = await registry.EvaluateAsync("survey.nps", query);
            psmSeries = await registry.SeriesAsync("survey.nps", query, Granularity.Month);
        }

        async Task Raw() => raw = await RawAsync(database, query);
        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);

        if (psmScore is null || raw.Score is null || Math.Abs(psmScore.Value - raw.Score.Value) > 0.01)
        {
            throw new InvalidOperationException($"The year's NPS disagrees: PSM {psmScore}, raw SQL {raw.Score}.");
        }

        foreach (var point in psmSeries.Where(p => p.Value is not null))
        {
            if (!raw.Series.TryGetValue(point.Bucket, out var expected) || Math.Abs(expected - point.Value!.Value) > 0.01)
            {
                throw new InvalidOperationException($"NPS for {point.Bucket} disagrees: PSM {point.Value}, raw SQL {expected}.");
            }
        }

        return new ScenarioResult(SurveyScores, provider, answers, "views/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: "the year's NPS and a GROUP BY month over the answers by hand, ADO.NET");
    }

    private static async Task<(double? Score, Dictionary<DateOnly, double> Series)> RawAsync(BenchDatabase database, MetricQuery query)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        await using var connection = await database.OpenRawAsync();
        const string nps = """100.0 * (SUM(CASE WHEN r."Score" >= 9 THEN 1 ELSE 0 END) - SUM(CASE WHEN r."Score" <= 6 THEN 1 ELSE 0 END)) / COUNT(*)""";
        const string where = """FROM "SurveyResponses" r WHERE r."RespondedOn" >= @from AND r."RespondedOn" < @to""";
        var month = sqlite ? """strftime('%Y-%m-01', r."RespondedOn")""" : """date_trunc('month', r."RespondedOn")::date""";
        void Bind(System.Data.Common.DbCommand command)
        {
            MetricSeriesScenario.Add(command, "@from", sqlite ? query.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : query.From);
            MetricSeriesScenario.Add(command, "@to", sqlite ? query.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : query.To);
        }

        await using var total = connection.CreateCommand();
        total.CommandText = $"SELECT {nps} {where}";
        Bind(total);
        var score = await total.ExecuteScalarAsync() is { } value and not DBNull ? Math.Round(Convert.ToDouble(value, CultureInfo.InvariantCulture), 2) : (double?)null;

        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {month}, {nps} {where} GROUP BY 1";
        Bind(command);
        var series = new Dictionary<DateOnly, double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var bucket = sqlite ? DateOnly.Parse(reader.GetString(0), CultureInfo.InvariantCulture) : DateOnly.FromDateTime(reader.GetDateTime(0));
            series[bucket] = Math.Round(Convert.ToDouble(reader.GetValue(1), CultureInfo.InvariantCulture), 2);
        }

        return (score, series);
    }

    /// <summary>
    /// Tickets as a desk lives them (opened, answered, resolved: three saves each, with their audit entries and events),
    /// with the rollups kept (the triggers mark each save's days; the rollup job runs at its default period, every 5
    /// seconds, beside the writes) against the same saves on a second database without the triggers and without the job.
    /// </summary>
    public static async Task<ScenarioResult> RunUpkeepAsync(string provider, int tickets)
    {
        await using var kept = await BenchDatabase.CreateAsync(provider);
        await using var bare = await BenchDatabase.CreateAsync(provider);
        await bare.DropRollupTriggersAsync();
        var customers = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(200, DateTimeOffset.UtcNow)).ToList();
        var team = new Team { Name = "Tier 1", CreatedAt = DateTimeOffset.UtcNow };
        foreach (var database in new[] { kept, bare })
        {
            await MetricSeriesScenario.SeedAsync(database, customers);
            await MetricSeriesScenario.SeedAsync(database, new[] { team });
        }

        await kept.CatchUpRollupsAsync();
        var number = 1000;
        async Task LiveAsync(Microsoft.EntityFrameworkCore.IDbContextFactory<Psm.Web.Data.PsmDb> dbs)
        {
            var rng = new Random(5);
            for (var i = 0; i < tickets; i++)
            {
                var opened = DateTimeOffset.UtcNow;
                var ticket = new Ticket
                {
                    Number = ++number, Subject = $"Invoice export number {i} fails", Description = "The export button does nothing since the update.",
                    CustomerId = customers[rng.Next(customers.Count)].Id, Priority = (TicketPriority)rng.Next(4), Channel = (TicketChannel)rng.Next(5),
                    TeamId = team.Id, CreatedAt = opened,
                };
                await using (var db = await dbs.CreateDbContextAsync())
                {
                    db.Tickets.Add(ticket);
                    await db.SaveChangesAsync();
                }

                await using (var db = await dbs.CreateDbContextAsync())
                {
                    var open = await db.Tickets.FindAsync(ticket.Id);
                    open!.FirstResponseMinutes = rng.Next(5, 300);
                    open.FirstResponseAt = opened.AddMinutes(open.FirstResponseMinutes.Value);
                    open.Status = TicketStatus.Open;
                    await db.SaveChangesAsync();
                }

                await using (var db = await dbs.CreateDbContextAsync())
                {
                    var answered = await db.Tickets.FindAsync(ticket.Id);
                    answered!.ResolutionMinutes = answered.FirstResponseMinutes!.Value + rng.Next(30, 3000);
                    answered.ResolvedAt = opened.AddMinutes(answered.ResolutionMinutes.Value);
                    answered.Status = TicketStatus.Resolved;
                    await db.SaveChangesAsync();
                }
            }
        }

        async Task WithRollupsAsync()
        {
            using var stop = new CancellationTokenSource();
            var keeper = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await kept.CatchUpRollupsAsync();
                    try { await Task.Delay(5000, stop.Token); } catch (OperationCanceledException) { }
                }
            });
            await LiveAsync(kept.Factory());
            stop.Cancel();
            await keeper;
        }

        // Alternate twice so neither side profits from a warmer cache alone.
        var without = new List<Measurement>();
        var with = new List<Measurement>();
        for (var round = 0; round < 2; round++)
        {
            without.Add(await Measurement.OfAsync(() => LiveAsync(bare.Factory())));
            with.Add(await Measurement.OfAsync(WithRollupsAsync));
        }

        await kept.CatchUpRollupsAsync();
        await using (var db = kept.Factory().CreateDbContext())
        {
            var opened = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SumAsync(db.TicketDayRollups.Where(r => r.Cut == TicketRollups.All), r => r.Opened);
            if (opened != tickets * 2)
            {
                throw new InvalidOperationException($"The rollups count {opened} tickets opened; {tickets * 2} were.");
            }
        }

        var psm = with.OrderBy(m => m.Elapsed).First();
        var raw = without.OrderBy(m => m.Elapsed).First();
        return new ScenarioResult(Upkeep, provider, tickets, "tickets/s", psm, raw, tickets / psm.Elapsed.TotalSeconds, tickets / raw.Elapsed.TotalSeconds,
            "the same three saves per ticket on a database without the rollup triggers and without the rollup job");
    }
}
