using System.Data.Common;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// The objectives list with progress for every objective, paged through PSM's service, against one
/// hand-written query that computes each objective's weighted progress in SQL.
/// </summary>
public static class ObjectivesListScenario
{
    public const string Name = "objectives-list";

    public static async Task<ScenarioResult> RunAsync(string provider, int objectives, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        await SeedAsync(database, objectives);

        var factory = database.Factory();
        var service = new Objectives(factory, new MetricRegistry([], factory), new Catalog(factory, TimeProvider.System), TimeProvider.System);
        double psmSum = 0, rawSum = 0;
        async Task Psm()
        {
            var sum = 0.0;
            await foreach (var o in service.StreamAsync(new ObjectiveFilter()))
            {
                sum += o.Progress ?? 0;
            }

            psmSum = sum;
        }

        async Task Raw() => rawSum = await RawAsync(database);

        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);

        if (Math.Abs(psmSum - rawSum) > objectives * 0.001)
        {
            throw new InvalidOperationException($"Progress disagrees: PSM summed {psmSum:0.###}, raw SQL {rawSum:0.###}.");
        }

        return new ScenarioResult(Name, provider, objectives, "lists/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: "one query with progress in SQL, ADO.NET");
    }

    /// <summary>Each objective: two manual key results, six monthly check-ins each.</summary>
    private static async Task SeedAsync(BenchDatabase database, int count)
    {
        var rng = new Random(7);
        var start = new DateOnly(DateTime.UtcNow.Year, 1, 1);
        var objectives = new List<Objective>();
        var keyResults = new List<KeyResult>();
        var checkIns = new List<CheckIn>();
        for (var i = 0; i < count; i++)
        {
            var objective = new Objective
            {
                Name = $"Objective {i:00000}", Description = "Generated for the benchmark.", Type = (ObjectiveType)(i % 4),
                Status = ObjectiveStatus.Active, PeriodStart = start, PeriodEnd = start.AddYears(1).AddDays(-1),
                CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-i),
            };
            objectives.Add(objective);
            for (var k = 0; k < 2; k++)
            {
                var up = k == 0;
                var kr = new KeyResult
                {
                    ObjectiveId = objective.Id, Title = $"KR {k}", Baseline = up ? 10 : 90, Target = up ? 50 : 30,
                    Direction = up ? BetterDirection.Up : BetterDirection.Down, Weight = k + 1, Unit = "pts", CreatedAt = objective.CreatedAt,
                };
                keyResults.Add(kr);
                for (var m = 1; m <= 6; m++)
                {
                    checkIns.Add(new CheckIn
                    {
                        KeyResultId = kr.Id, Date = start.AddMonths(m).AddDays(-1), Value = Math.Round((decimal)(rng.NextDouble() * 100), 2),
                        Confidence = Confidence.OnTrack, UserName = "bench", CreatedAt = objective.CreatedAt.AddDays(m),
                    });
                }
            }
        }

        await MetricSeriesScenario.SeedAsync(database, objectives);
        await MetricSeriesScenario.SeedAsync(database, keyResults);
        await MetricSeriesScenario.SeedAsync(database, checkIns);
    }

    private static async Task<double> RawAsync(BenchDatabase database)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        var (clampLow, clampHigh) = sqlite ? ("MAX", "MIN") : ("GREATEST", "LEAST");
        await using var connection = await database.OpenRawAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            WITH latest AS (
                SELECT k."ObjectiveId", k."Baseline", k."Target", k."Direction", k."Weight",
                       (SELECT c."Value" FROM "CheckIns" c
                        WHERE c."KeyResultId" = k."Id" AND c."Value" IS NOT NULL AND c."Date" <= @today
                        ORDER BY c."Date" DESC, c."CreatedAt" DESC LIMIT 1) AS "Current"
                FROM "KeyResults" k),
            progress AS (
                SELECT "ObjectiveId", "Weight",
                       CASE WHEN "Current" IS NULL THEN 0
                            WHEN "Target" = "Baseline" THEN
                                CASE WHEN ("Direction" = 'Up' AND "Current" >= "Target") OR ("Direction" = 'Down' AND "Current" <= "Target")
                                     THEN 100 ELSE 0 END
                            ELSE {clampHigh}({clampLow}(("Current" - "Baseline") * 100.0 / ("Target" - "Baseline"), 0), 100) END AS p
                FROM latest)
            SELECT o."Id", o."Name", o."Type", o."Status", u."DisplayName", o."PeriodStart", o."PeriodEnd", o."CreatedAt", o."Version",
                   COUNT(p."ObjectiveId"), SUM(p.p * p."Weight") / SUM(p."Weight")
            FROM "Objectives" o
            LEFT JOIN "Users" u ON u."Id" = o."OwnerId"
            LEFT JOIN progress p ON p."ObjectiveId" = o."Id"
            WHERE o."Status" <> 'Archived'
            GROUP BY o."Id", o."Name", o."Type", o."Status", u."DisplayName", o."PeriodStart", o."PeriodEnd", o."CreatedAt", o."Version"
            ORDER BY o."CreatedAt" DESC, o."Id" DESC
            """;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        MetricSeriesScenario.Add(command, "@today", sqlite ? today.ToString("yyyy-MM-dd") : today);
        // The same output as the list: every column read and typed, as a hand-written reader would.
        var sum = 0.0;
        var rows = new List<(Guid, string, ObjectiveType, ObjectiveStatus, string?, DateOnly, DateOnly?, DateTimeOffset, Guid, long, double?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var progress = reader.IsDBNull(10) ? (double?)null : Convert.ToDouble(reader.GetValue(10), System.Globalization.CultureInfo.InvariantCulture);
            rows.Add((reader.GetGuid(0), reader.GetString(1), Enum.Parse<ObjectiveType>(reader.GetString(2)),
                Enum.Parse<ObjectiveStatus>(reader.GetString(3)), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetFieldValue<DateOnly>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateOnly>(6),
                sqlite ? DateTimeOffset.Parse(reader.GetString(7) + "Z", System.Globalization.CultureInfo.InvariantCulture) : reader.GetFieldValue<DateTimeOffset>(7),
                reader.GetGuid(8), reader.GetInt64(9), progress));
            sum += progress ?? 0;
        }

        return sum;
    }
}
