using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Psm.Web.Features.Insights;
using Psm.Web.Features.ServiceDesk;

namespace Psm.Bench;

/// <summary>
/// The alert job's run over 1 000 rules (ticket volume, SLA compliance and escalation rate by product, team or channel, NPS by
/// product; above or below a threshold, risen or fallen by it; over the last day, week or month), in PSM running as an operator
/// runs it, against the same figures by hand-written SQL over the tickets and answers, each rule's check stored and each firing
/// inserted in one transaction.
/// </summary>
public static class AlertRulesScenario
{
    public const string Name = "alert-rules";

    public static async Task<ScenarioResult> RunAsync(string provider, int rules, int tickets, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var data = await InsightsData.SeedAsync(database, Math.Max(1_000, tickets / 10), tickets * 5, tickets);
        await database.CatchUpRollupsAsync();
        var (app, _) = await BenchHost.StartAsync(database, CompanyViewScenario.Quiet);
        try
        {
            var list = await SeedRulesAsync(database, data, rules);
            var psmFired = 0;
            var rawFired = 0;
            Dictionary<Guid, double?> rawValues = [];
            async Task Psm()
            {
                await using var scope = app.Services.CreateAsyncScope();
                psmFired = await scope.ServiceProvider.GetRequiredService<Alerts>().CheckAllAsync();
            }

            async Task Raw() => (rawFired, rawValues) = await RawAsync(database, list);

            // Each run starts with nothing fired, so both sides fire every rule whose condition holds.
            var p = new List<Measurement>();
            var r = new List<Measurement>();
            for (var i = 0; i <= repeats; i++)
            {
                await ResetAsync(database);
                var raw = await Measurement.OfAsync(Raw);
                await ResetAsync(database);
                var psm = await Measurement.OfAsync(Psm);
                if (i > 0)
                {
                    (p, r) = ([.. p, psm], [.. r, raw]);
                }
            }

            await using (var db = await database.Factory().CreateDbContextAsync())
            {
                var checkedRules = await db.AlertRules.AsNoTracking().Select(x => new { x.Id, x.LastValue, x.CheckedAt }).ToListAsync();
                foreach (var rule in checkedRules)
                {
                    var expected = rawValues[rule.Id];
                    if (rule.CheckedAt is null || (rule.LastValue is null) != (expected is null) || Math.Abs((rule.LastValue ?? 0) - (expected ?? 0)) > 0.011)
                    {
                        throw new InvalidOperationException($"Rule {rule.Id}: PSM saw {rule.LastValue}, hand-written SQL {expected}.");
                    }
                }
            }

            if (psmFired != rawFired || psmFired == 0 || psmFired == rules)
            {
                throw new InvalidOperationException($"PSM fired {psmFired} alerts, hand-written SQL {rawFired}, of {rules} rules.");
            }

            Console.WriteLine($"  {psmFired} of {rules} rules fired");
            var (pm, rm) = (Measurement.Median(p), Measurement.Median(r));
            return new ScenarioResult(Name, provider, rules, "rules/s", pm, rm, rules / pm.Elapsed.TotalSeconds, rules / rm.Elapsed.TotalSeconds,
                Limit: $"per rule the figure (and the previous period's) by hand-written SQL over {tickets:N0} tickets and {tickets * 5:N0} answers and an UPDATE of its check; " +
                       "an INSERT per firing, one transaction (no notification, no webhook event)");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<List<AlertRule>> SeedRulesAsync(BenchDatabase database, InsightsData data, int count)
    {
        await using var db = await database.Factory().CreateDbContextAsync();
        var owner = await db.Users.Where(u => u.Email == BenchHost.AdminEmail).Select(u => u.Id).SingleAsync();
        var rng = new Random(3);
        var metrics = new[] { "service.tickets_opened", "service.sla_compliance", "service.escalation_rate", "survey.nps" };
        var list = Enumerable.Range(0, count).Select(i =>
        {
            var metric = metrics[i % metrics.Length];
            var rule = new AlertRule
            {
                Name = $"Rule {i}", MetricKey = metric, Condition = (AlertCondition)rng.Next(4), Period = (AlertPeriod)rng.Next(3), OwnerId = owner, CreatedAt = DateTimeOffset.UtcNow,
            };
            if (metric == "survey.nps")
            {
                rule.ProductId = data.Products[rng.Next(3)].Id;
            }
            else
            {
                switch (rng.Next(3))
                {
                    case 0: rule.ProductId = data.Products[rng.Next(data.Products.Count)].Id; break;
                    case 1: rule.TeamId = data.Teams[rng.Next(data.Teams.Count)].Id; break;
                    default: rule.Channel = ((TicketChannel)rng.Next(5)).ToString(); break;
                }
            }

            // Thresholds around the figures' usual values, so some rules fire and most do not.
            rule.Threshold = (metric, rule.Condition) switch
            {
                ("service.tickets_opened", AlertCondition.Above or AlertCondition.Below) => rule.Period switch { AlertPeriod.Day => 15, AlertPeriod.Week => 105, _ => 450 } * (0.6m + (decimal)rng.NextDouble() * 0.8m),
                ("service.tickets_opened", _) => rng.Next(1, 30),
                ("survey.nps", AlertCondition.Above or AlertCondition.Below) => rng.Next(-20, 20),
                (_, AlertCondition.Above or AlertCondition.Below) => rng.Next(5, 95),
                _ => rng.Next(1, 10),
            };
            return rule;
        }).ToList();
        await MetricSeriesScenario.SeedAsync(database, list);
        return list;
    }

    private static async Task ResetAsync(BenchDatabase database)
    {
        await using var connection = await database.OpenRawAsync();
        foreach (var sql in new[] { """DELETE FROM "AlertFirings" """, """DELETE FROM "Notifications" """, """DELETE FROM "WebhookEvents" """, """UPDATE "AlertRules" SET "CheckedAt" = NULL, "LastValue" = NULL""" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<(int Fired, Dictionary<Guid, double?> Values)> RawAsync(BenchDatabase database, List<AlertRule> rules)
    {
        await using var connection = await database.OpenRawAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var sql = new InsightsData.Sql(database, connection) { Transaction = transaction };
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var values = new Dictionary<Guid, double?>();
        var fired = 0;
        foreach (var rule in rules)
        {
            var (from, to, previousFrom) = Alerts.LastComplete(rule.Period, today);
            var (cut, cutValue) = rule.ProductId is { } product ? (""" AND "ProductId" = @cut""", sql.Id(product))
                : rule.TeamId is { } team ? (""" AND "TeamId" = @cut""", sql.Id(team))
                : (""" AND "Channel" = @cut""", (object)rule.Channel!);
            async Task<double?> Figure(DateOnly a, DateOnly b)
            {
                switch (rule.MetricKey)
                {
                    case "survey.nps":
                    {
                        var row = (await sql.RowsAsync("""
                            SELECT COUNT(*), SUM(CASE WHEN "Score" >= 9 THEN 1 ELSE 0 END) - SUM(CASE WHEN "Score" <= 6 THEN 1 ELSE 0 END) FROM "SurveyResponses"
                            WHERE "RespondedOn" >= @a AND "RespondedOn" < @b AND "SurveyId" IN (SELECT "Id" FROM "Surveys" WHERE "Kind" = 'Nps' AND "ProductId" = @cut)
                            """, ("@a", sql.Day(a)), ("@b", sql.Day(b)), ("@cut", cutValue)))[0];
                        return row[0] is > 0 ? Math.Round(100 * row[1]!.Value / row[0]!.Value, 2) : null;
                    }

                    case "service.tickets_opened":
                        return (await sql.RowsAsync($"""SELECT COUNT(*) FROM "Tickets" WHERE "CreatedAt" >= @a AND "CreatedAt" < @b{cut}""",
                            ("@a", sql.Time(a)), ("@b", sql.Time(b)), ("@cut", cutValue)))[0][0];
                    default:
                    {
                        var (population, hit) = rule.MetricKey == "service.sla_compliance"
                            ? (""" AND "SlaPolicyId" IS NOT NULL""", """ "FirstResponseBreachedAt" IS NULL AND "ResolutionBreachedAt" IS NULL""")
                            : ("", """ "EscalationLevel" > 0""");
                        var row = (await sql.RowsAsync($"""SELECT COUNT(*), SUM(CASE WHEN {hit} THEN 1 ELSE 0 END) FROM "Tickets" WHERE "CreatedAt" >= @a AND "CreatedAt" < @b{population}{cut}""",
                            ("@a", sql.Time(a)), ("@b", sql.Time(b)), ("@cut", cutValue)))[0];
                        return row[0] is > 0 ? Math.Round(100 * (row[1] ?? 0) / row[0]!.Value, 2) : null;
                    }
                }
            }

            var value = await Figure(from, to);
            var previous = rule.Condition is AlertCondition.RisesBy or AlertCondition.FallsBy ? await Figure(previousFrom, from) : null;
            var threshold = (double?)rule.Threshold;
            var met = value is { } v && rule.Condition switch
            {
                AlertCondition.Above => v > threshold,
                AlertCondition.Below => v < threshold,
                AlertCondition.RisesBy => previous is { } x && v - x >= threshold,
                _ => previous is { } y && y - v >= threshold,
            };
            values[rule.Id] = value;
            await using (var update = connection.CreateCommand())
            {
                update.Transaction = transaction;
                update.CommandText = """UPDATE "AlertRules" SET "CheckedAt" = @at, "LastValue" = @value WHERE "Id" = @id""";
                MetricSeriesScenario.Add(update, "@at", sql.Sqlite ? new Psm.Web.Infrastructure.Persistence.UtcTextConverter().ConvertToProvider(now)! : now);
                MetricSeriesScenario.Add(update, "@value", (object?)value ?? DBNull.Value);
                MetricSeriesScenario.Add(update, "@id", sql.Id(rule.Id));
                await update.ExecuteNonQueryAsync();
            }

            if (met)
            {
                fired++;
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO "AlertFirings" ("Id", "RuleId", "PeriodFrom", "PeriodTo", "Value", "Previous", "PValue", "Message", "FiredAt")
                    VALUES (@id, @rule, @from, @to, @value, @previous, NULL, @message, @at)
                    """;
                MetricSeriesScenario.Add(insert, "@id", sql.Id(Guid.NewGuid()));
                MetricSeriesScenario.Add(insert, "@rule", sql.Id(rule.Id));
                MetricSeriesScenario.Add(insert, "@from", sql.Day(from));
                MetricSeriesScenario.Add(insert, "@to", sql.Day(to));
                MetricSeriesScenario.Add(insert, "@value", value!.Value);
                MetricSeriesScenario.Add(insert, "@previous", (object?)previous ?? DBNull.Value);
                MetricSeriesScenario.Add(insert, "@message", $"{rule.Name}: {value} from {from} to {to}");
                MetricSeriesScenario.Add(insert, "@at", sql.Sqlite ? new Psm.Web.Infrastructure.Persistence.UtcTextConverter().ConvertToProvider(now)! : now);
                await insert.ExecuteNonQueryAsync();
            }
        }

        await transaction.CommitAsync();
        return (fired, values);
    }
}
