using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// responses-import: a CSV of survey answers (score, respondedAt, externalRef) through PSM's import
/// (parse, validate, de-duplicate, COPY or prepared INSERT, audit) against hand-written ADO.NET that
/// reads the same file with a bare split and bulk-writes the same rows.
/// </summary>
public static class ResponsesImportScenario
{
    public const string Name = "responses-import";

    public static async Task<ScenarioResult> RunAsync(string provider, int rows, int repeats)
    {
        var file = Path.Combine(Path.GetTempPath(), $"psm-bench-responses-{rows}.csv");
        if (!File.Exists(file))
        {
            await WriteFileAsync(file, rows);
        }

        await MeasureAsync(provider, rows: 2_000, file, psm: true, warmUp: true);
        await MeasureAsync(provider, rows: 2_000, file, psm: false, warmUp: true);
        var psm = new List<Measurement>();
        var raw = new List<Measurement>();
        for (var i = 0; i < repeats; i++)
        {
            raw.Add(await MeasureAsync(provider, rows, file, psm: false));
            psm.Add(await MeasureAsync(provider, rows, file, psm: true));
        }

        var p = Measurement.Median(psm);
        var r = Measurement.Median(raw);
        return new ScenarioResult(Name, provider, rows, "rows/s", p, r, rows / p.Elapsed.TotalSeconds, rows / r.Elapsed.TotalSeconds,
            Limit: provider == "postgres" ? "bare CSV split + binary COPY" : "bare CSV split + prepared INSERT, one transaction");
    }

    internal static async Task WriteFileAsync(string path, int rows)
    {
        var rng = new Random(7);
        // Spread over the two years up to an hour ago, whatever the row count: an import refuses answers from the future.
        var end = DateTimeOffset.UtcNow.AddHours(-1);
        var start = end.AddYears(-2);
        var step = (end - start).TotalSeconds / Math.Max(1, rows);
        await using var writer = new StreamWriter(path);
        await writer.WriteLineAsync("score,respondedAt,externalRef");
        for (var i = 0; i < rows; i++)
        {
            var at = start.AddSeconds(i * step);
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{rng.Next(0, 11)},{at:yyyy-MM-ddTHH:mm:ssZ},r-{i}"));
        }
    }

    private static async Task<Measurement> MeasureAsync(string provider, int rows, string file, bool psm, bool warmUp = false)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var survey = new Survey { Name = "Bench NPS", Kind = SurveyKind.Nps, Question = "Recommend?", CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = database.Factory().CreateDbContext())
        {
            db.Surveys.Add(survey);
            await db.SaveChangesAsync();
        }

        var written = 0;
        var measurement = await Measurement.OfAsync(async () =>
        {
            using var reader = CsvImport.Reader(File.OpenRead(file));
            var limited = warmUp ? new StringReader(await Head(reader, rows)) : (TextReader)reader;
            written = psm
                ? (await new Imports(database.Factory(), TimeProvider.System).ImportResponsesAsync(survey.Id, limited, null, allOrNothing: true))!.Imported
                : await RawAsync(database, survey.Id, limited);
        });
        await using var check = database.Factory().CreateDbContext();
        var stored = check.SurveyResponses.Count();
        if (stored != written || (!warmUp && written != rows))
        {
            throw new InvalidOperationException($"Expected {rows} stored answers, found {stored} (reported {written}).");
        }

        return measurement;
    }

    private static async Task<string> Head(TextReader reader, int rows)
    {
        var lines = new System.Text.StringBuilder();
        for (var i = 0; i <= rows && await reader.ReadLineAsync() is { } line; i++)
        {
            lines.AppendLine(line);
        }

        return lines.ToString();
    }

    internal static async Task<int> RawAsync(BenchDatabase database, Guid surveyId, TextReader reader)
    {
        await reader.ReadLineAsync(); // header
        var count = 0;
        if (database.Settings.Provider == DatabaseProvider.Postgres)
        {
            // One COPY of the whole file: its end may take longer than the default 30 s command timeout.
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.Settings.ConnectionString) { CommandTimeout = 0 }.ConnectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var copy = await connection.BeginBinaryImportAsync(
                """COPY "SurveyResponses" ("Id", "SurveyId", "Wave", "Score", "Channel", "RespondedAt", "RespondedOn", "ExternalRef") FROM STDIN (FORMAT BINARY)"""))
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    var (score, at, reference) = Split(line);
                    copy.StartRow();
                    copy.Write(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                    copy.Write(surveyId, NpgsqlDbType.Uuid);
                    copy.Write(1, NpgsqlDbType.Integer);
                    copy.Write(score, NpgsqlDbType.Integer);
                    copy.Write("Import", NpgsqlDbType.Varchar);
                    copy.Write(at, NpgsqlDbType.TimestampTz);
                    copy.Write(DateOnly.FromDateTime(at.UtcDateTime), NpgsqlDbType.Date);
                    copy.Write(reference, NpgsqlDbType.Varchar);
                    count++;
                }

                await copy.CompleteAsync();
            }

            await transaction.CommitAsync();
            return count;
        }

        await using var sqlite = new SqliteConnection(database.Settings.ConnectionString);
        await sqlite.OpenAsync();
        await using var tx = sqlite.BeginTransaction();
        await using var command = sqlite.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            INSERT INTO "SurveyResponses" ("Id", "SurveyId", "Wave", "Score", "Channel", "RespondedAt", "RespondedOn", "ExternalRef")
            VALUES ($id, $survey, 1, $score, 'Import', $at, $on, $ref)
            """;
        var id = command.Parameters.Add("$id", SqliteType.Text);
        command.Parameters.Add("$survey", SqliteType.Text).Value = surveyId.ToString().ToUpperInvariant();
        var scoreParameter = command.Parameters.Add("$score", SqliteType.Integer);
        var atParameter = command.Parameters.Add("$at", SqliteType.Text);
        var on = command.Parameters.Add("$on", SqliteType.Text);
        var refParameter = command.Parameters.Add("$ref", SqliteType.Text);
        command.Prepare();
        while (await reader.ReadLineAsync() is { } line)
        {
            var (score, at, reference) = Split(line);
            id.Value = Guid.CreateVersion7().ToString().ToUpperInvariant();
            scoreParameter.Value = score;
            atParameter.Value = at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
            on.Value = at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            refParameter.Value = reference;
            await command.ExecuteNonQueryAsync();
            count++;
        }

        await tx.CommitAsync();
        return count;
    }

    private static (int Score, DateTimeOffset At, string Reference) Split(string line)
    {
        var parts = line.Split(',');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), parts[2]);
    }
}

/// <summary>
/// nps-by-segment: NPS per month over a year for one segment (plan Pro, consenting customers), through
/// the metric registry, against one hand-written GROUP BY month that computes NPS in SQL.
/// </summary>
public static class NpsBySegmentScenario
{
    public const string Name = "nps-by-segment";

    public static async Task<ScenarioResult> RunAsync(string provider, int responses, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        var customers = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(Math.Max(1_000, responses / 100), now)).ToList();
        await MetricSeriesScenario.SeedAsync(database, customers);
        var survey = new Survey { Name = "Bench NPS", Kind = SurveyKind.Nps, Question = "Recommend?", CreatedAt = now };
        var segment = new Segment { Name = "Pro", CreatedAt = now, Rules = new SegmentRules { Plans = ["Pro"] } };
        await using (var db = database.Factory().CreateDbContext())
        {
            db.Surveys.Add(survey);
            db.Segments.Add(segment);
            await db.SaveChangesAsync();
        }

        var rng = new Random(11);
        var yearAgo = now.AddYears(-1);
        await MetricSeriesScenario.SeedAsync(database, Enumerable.Range(0, responses).Select(i =>
        {
            var at = yearAgo.AddSeconds(rng.NextDouble() * (now - yearAgo).TotalSeconds);
            // One answer per customer per wave, as the survey allows.
            return new SurveyResponse
            {
                SurveyId = survey.Id, Wave = (i / customers.Count) + 1, Score = rng.Next(0, 11), CustomerId = customers[i % customers.Count].Id,
                Channel = ResponseChannel.Import,
                RespondedAt = at, RespondedOn = DateOnly.FromDateTime(at.UtcDateTime),
            };
        }));
        await using (var analyse = await database.OpenRawAsync())
        {
            await using var command = analyse.CreateCommand();
            command.CommandText = "ANALYZE";
            await command.ExecuteNonQueryAsync();
        }

        var factory = database.Factory();
        var registry = new MetricRegistry([SurveyMetric.Nps()], factory);
        var to = new DateOnly(now.Year, now.Month, 1).AddMonths(1);
        var query = new MetricQuery(to.AddMonths(-12), to, Segment: segment.Id.ToString());
        IReadOnlyList<MetricPoint> psmSeries = [];
        Dictionary<DateOnly, double> rawSeries = [];
        async Task Psm() => psmSeries = await registry.SeriesAsync("survey.nps", query, Granularity.Month);
        async Task Raw() => rawSeries = await RawAsync(database, survey.Id, query);

        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);

        foreach (var point in psmSeries.Where(p => p.Value is not null))
        {
            if (!rawSeries.TryGetValue(point.Bucket, out var expected) || Math.Abs(expected - point.Value!.Value) > 0.01)
            {
                throw new InvalidOperationException($"NPS for {point.Bucket} disagrees: PSM {point.Value}, raw SQL {expected}.");
            }
        }

        return new ScenarioResult(Name, provider, responses, "series/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: "hand-written GROUP BY month, segment as IN (subquery), ADO.NET");
    }

    private static async Task<Dictionary<DateOnly, double>> RawAsync(BenchDatabase database, Guid surveyId, MetricQuery query)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        await using var connection = await database.OpenRawAsync();
        await using var command = connection.CreateCommand();
        var month = sqlite ? """strftime('%Y-%m-01', r."RespondedOn")""" : """date_trunc('month', r."RespondedOn")::date""";
        command.CommandText = $"""
            SELECT {month}, 100.0 * (SUM(CASE WHEN r."Score" >= 9 THEN 1 ELSE 0 END) - SUM(CASE WHEN r."Score" <= 6 THEN 1 ELSE 0 END)) / COUNT(*)
            FROM "SurveyResponses" r
            WHERE r."SurveyId" = @survey AND r."RespondedOn" >= @from AND r."RespondedOn" < @to
              AND r."CustomerId" IN (SELECT c."Id" FROM "Customers" c WHERE c."Plan" = 'Pro' AND c."ProfilingConsent" AND c."ArchivedAt" IS NULL)
            GROUP BY 1
            """;
        MetricSeriesScenario.Add(command, "@survey", sqlite ? surveyId.ToString().ToUpperInvariant() : surveyId);
        MetricSeriesScenario.Add(command, "@from", sqlite ? query.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : query.From);
        MetricSeriesScenario.Add(command, "@to", sqlite ? query.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : query.To);
        var series = new Dictionary<DateOnly, double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var bucket = sqlite ? DateOnly.Parse(reader.GetString(0), CultureInfo.InvariantCulture) : DateOnly.FromDateTime(reader.GetDateTime(0));
            series[bucket] = Math.Round(Convert.ToDouble(reader.GetValue(1), CultureInfo.InvariantCulture), 2);
        }

        return series;
    }
}
