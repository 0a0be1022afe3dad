using System.Data.Common;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// The board, the prioritisation view and the alignment page over 10 000 initiatives (40 objectives,
/// 0-2 objective links each), through PSM's services, against the same reads written by hand in
/// SQL and read column by column with ADO.NET.
/// </summary>
public static class RoadmapScenarios
{
    public const string Board = "roadmap-board";
    public const string Prioritisation = "roadmap-prioritisation";
    public const string Alignment = "roadmap-alignment";

    public static Task<ScenarioResult> RunBoardAsync(string provider, int initiatives, int repeats) =>
        RunAsync(Board, provider, initiatives, repeats,
            async (roadmap, _) => (await roadmap.BoardAsync(new InitiativeFilter())).Count,
            db => ReadAsync(db, SummarySql("1 = 1", "i.\"Status\", i.\"RiceScore\" DESC, i.\"Name\"")),
            "the board's query by hand (summary columns, objective counts as subqueries), ADO.NET");

    public static Task<ScenarioResult> RunPrioritisationAsync(string provider, int initiatives, int repeats) =>
        RunAsync(Prioritisation, provider, initiatives, repeats,
            async (roadmap, _) => (await roadmap.PrioritiseAsync(Framework.Rice, new InitiativeFilter())).Count,
            async db =>
            {
                var rows = await ReadAsync(db, SummarySql("i.\"Status\" NOT IN ('Dropped', 'Done')", "i.\"RiceScore\" DESC"));
                await ReadAsync(db, "SELECT \"InitiativeId\", COUNT(*) FROM \"Evidence\" GROUP BY \"InitiativeId\"");
                await ReadAsync(db, """
                    SELECT x."InitiativeId", COUNT(*), SUM(c."LifetimeValue")
                    FROM (SELECT DISTINCT e."InitiativeId", f."CustomerId" FROM "Evidence" e JOIN "Feedback" f ON f."Id" = e."FeedbackId" WHERE f."CustomerId" IS NOT NULL) x
                    JOIN "Customers" c ON c."Id" = x."CustomerId" GROUP BY x."InitiativeId"
                    """);
                return rows;
            },
            "the same reads by hand (summary ordered by RICE, evidence counts), ADO.NET");

    public static Task<ScenarioResult> RunAlignmentAsync(string provider, int initiatives, int repeats) =>
        RunAsync(Alignment, provider, initiatives, repeats,
            async (_, report) => (await report.BuildAsync()).ActiveInitiatives.Count,
            async db =>
            {
                await ReadAsync(db, """
                    SELECT o."Id", o."Name", o."Type", EXISTS (SELECT 1 FROM "KeyResults" k WHERE k."ObjectiveId" = o."Id")
                    FROM "Objectives" o WHERE o."Status" = 'Active' ORDER BY o."Name"
                    """);
                var active = await ReadAsync(db, """
                    SELECT i."Id", i."Name", i."Status", i."Effort" FROM "Initiatives" i
                    WHERE i."Status" IN ('Planned', 'InProgress', 'Released', 'Measuring') ORDER BY i."Name"
                    """);
                await ReadAsync(db, """
                    SELECT l."InitiativeId", l."ObjectiveId" FROM "InitiativeObjectives" l
                    JOIN "Initiatives" i ON i."Id" = l."InitiativeId" JOIN "Objectives" o ON o."Id" = l."ObjectiveId"
                    WHERE i."Status" IN ('Planned', 'InProgress', 'Released', 'Measuring') AND o."Status" = 'Active'
                    """);
                await ReadAsync(db, """
                    SELECT o."Id" FROM "Objectives" o WHERE o."Status" = 'Active' AND EXISTS (SELECT 1 FROM "InitiativeObjectives" l
                      JOIN "Initiatives" i ON i."Id" = l."InitiativeId" WHERE l."ObjectiveId" = o."Id" AND i."Status" <> 'Dropped')
                    """);
                await ReadAsync(db, """
                    SELECT i."Id", i."Name" FROM "Initiatives" i WHERE i."Status" NOT IN ('Dropped', 'Done')
                      AND EXISTS (SELECT 1 FROM "Concerns" c WHERE c."Subject" = 'Initiative' AND c."SubjectId" = i."Id" AND c."Stance" = 'Opposes' AND c."Status" = 'Open')
                    ORDER BY i."Name"
                    """);
                await ReadAsync(db, "SELECT DISTINCT \"Department\" FROM \"Stakeholders\"");
                await ReadAsync(db, """
                    SELECT c."SubjectId", s."Department" FROM "Concerns" c JOIN "Stakeholders" s ON s."Id" = c."StakeholderId"
                    WHERE c."Subject" = 'Initiative' AND c."SubjectId" IN (SELECT "Id" FROM "Initiatives" WHERE "Status" = 'InProgress')
                    """);
                await ReadAsync(db, """
                    SELECT di."DecisionId", di."InitiativesId", s."Department"
                    FROM "DecisionInitiatives" di JOIN "Initiatives" i ON i."Id" = di."InitiativesId"
                    LEFT JOIN "DecisionConsulted" dc ON dc."DecisionId" = di."DecisionId" LEFT JOIN "Stakeholders" s ON s."Id" = dc."ConsultedId"
                    WHERE i."Status" = 'InProgress'
                    """);
                await ReadAsync(db, "SELECT \"Type\", \"Percent\" FROM \"ObjectiveTypeWeights\"");
                return active;
            },
            "the alignment page's reads by hand (objectives, active initiatives and links, served, opposition, departments), ADO.NET");

    private static async Task<ScenarioResult> RunAsync(
        string name, string provider, int count, int repeats, Func<Roadmap, AlignmentReport, Task<int>> psmWork, Func<DbConnection, Task<int>> rawWork,
        string limit)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        await SeedAsync(database, count);
        var factory = database.Factory();
        var roadmap = new Roadmap(factory, new Psm.Web.Features.Catalog.Catalog(factory, TimeProvider.System), TimeProvider.System);
        var report = new AlignmentReport(factory);
        int psmRows = 0, rawRows = 0;
        async Task Psm() => psmRows = await psmWork(roadmap, report);
        async Task Raw()
        {
            await using var connection = await database.OpenRawAsync();
            rawRows = await rawWork(connection);
        }

        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);

        if (psmRows != rawRows)
        {
            throw new InvalidOperationException($"{name}: PSM returned {psmRows} initiatives, raw SQL {rawRows}.");
        }

        return new ScenarioResult(name, provider, count, "views/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds, Limit: limit);
    }

    private static string SummarySql(string where, string orderBy) => $"""
        SELECT i."Id", i."Name", i."Status", u."Id", u."DisplayName", i."Team", i."PlannedStart", i."PlannedEnd", i."ReleasedOn", i."RiceScore",
               i."Moscow", i."WeightedScore", i."Effort",
               (SELECT COUNT(*) FROM "InitiativeObjectives" l WHERE l."InitiativeId" = i."Id"),
               (SELECT COUNT(*) FROM "InitiativeObjectives" l JOIN "Objectives" o ON o."Id" = l."ObjectiveId" WHERE l."InitiativeId" = i."Id" AND o."Status" = 'Active'),
               i."CreatedAt", i."Version"
        FROM "Initiatives" i LEFT JOIN "Users" u ON u."Id" = i."OwnerId"
        WHERE {where}
        ORDER BY {orderBy}
        """;

    /// <summary>Runs a query and reads every column of every row, as a mapper would; returns the row count.</summary>
    private static async Task<int> ReadAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        var values = new object[reader.FieldCount];
        while (await reader.ReadAsync())
        {
            reader.GetValues(values);
            rows++;
        }

        return rows;
    }

    private static async Task SeedAsync(BenchDatabase database, int count)
    {
        var rng = new Random(5);
        var now = DateTimeOffset.UtcNow;
        var start = new DateOnly(now.Year, 1, 1);
        var objectives = Enumerable.Range(0, 40).Select(i => new Objective
        {
            Name = $"Objective {i:00}", Type = (ObjectiveType)(i % 4), Status = i < 30 ? ObjectiveStatus.Active : ObjectiveStatus.Draft,
            PeriodStart = start, PeriodEnd = start.AddYears(1).AddDays(-1), CreatedAt = now,
        }).ToList();
        await MetricSeriesScenario.SeedAsync(database, objectives);
        var statuses = Enum.GetValues<InitiativeStatus>();
        var initiatives = new List<Initiative>(count);
        var links = new List<InitiativeObjective>();
        for (var i = 0; i < count; i++)
        {
            var status = statuses[rng.Next(statuses.Length)];
            var from = start.AddDays(rng.Next(0, 300));
            var initiative = new Initiative
            {
                Name = $"Initiative {i:00000}", Status = status, Team = $"Team {i % 12}", CreatedAt = now.AddMinutes(-i),
                PlannedStart = status == InitiativeStatus.Idea ? null : from, PlannedEnd = status == InitiativeStatus.Idea ? null : from.AddDays(rng.Next(14, 120)),
                Reach = rng.Next(10, 5000), Impact = 1, Confidence = rng.Next(20, 100), Effort = rng.Next(1, 12),
                Moscow = (Moscow)rng.Next(0, 4), WeightedScore = rng.Next(0, 100),
            };
            initiative.RiceScore = Rice.Score(initiative.Reach.Value, 1, initiative.Confidence.Value, initiative.Effort.Value);
            initiatives.Add(initiative);
            foreach (var objective in objectives.OrderBy(_ => rng.Next()).Take(rng.Next(0, 3)))
            {
                links.Add(new InitiativeObjective { InitiativeId = initiative.Id, ObjectiveId = objective.Id });
            }
        }

        await MetricSeriesScenario.SeedAsync(database, initiatives);
        await MetricSeriesScenario.SeedAsync(database, links);
        await using var analyse = await database.OpenRawAsync();
        await using var command = analyse.CreateCommand();
        command.CommandText = "ANALYZE";
        await command.ExecuteNonQueryAsync();
    }
}
