using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Imports;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// feedback-import-http: a CSV of feedback items (text, channel, rating, receivedAt, sourceRef) uploaded to
/// <c>POST /api/v1/imports/feedback</c> on PSM running as its own process, timed from the first byte sent to the job's
/// end. PSM stages the upload, then parses, checks, scores sentiment, matches the 40 themes, drops duplicates and writes
/// items, theme tags and fingerprints in one transaction. The limit, in the bench's process: the same file read with a bare
/// split, each text scored and matched by the same two functions (<c>Sentiment.Score</c>, <c>ThemeMatcher.Match</c>), and
/// the items and their theme tags written by prepared INSERT (SQLite) or binary COPY (PostgreSQL) in one transaction.
/// </summary>
public static class FeedbackImportScenario
{
    public const string Name = "feedback-import-http";

    private static readonly string[] Openings =
    [
        "The export to spreadsheets", "Onboarding for new agents", "The mobile app on older phones", "Invoice downloads",
        "Search in the help centre", "Single sign-on with our provider", "The weekly usage report", "Setting up routing rules",
        "The API rate limit", "Renewal reminders", "Live chat during the evening", "Bulk editing of contacts",
    ];

    private static readonly string[] Verdicts =
    [
        "is slow and times out when the list is long", "works well and saved us hours every week",
        "is confusing: we could not find where to start", "breaks whenever we change the language",
        "is great, the team loves it", "needs a way to filter by region", "keeps asking us to sign in again",
        "is fine, but the documentation is out of date", "crashed twice this week", "is exactly what we needed",
    ];

    private static readonly string[] Channels = ["InApp", "Email", "SupportTicket", "ProductReview", "SalesCall", "SocialMedia"];

    public static async Task<ScenarioResult> RunAsync(string provider, int rows)
    {
        var file = Path.Combine(Path.GetTempPath(), $"psm-bench-feedback-{rows}.csv");
        if (!File.Exists(file))
        {
            await WriteFileAsync(file, rows);
        }

        await using var database = await BenchDatabase.CreateAsync(provider);
        string token;
        var (app, _) = await BenchHost.StartAsync(database, []);
        await using (app)
        {
            token = await HttpCreateScenario.KeyAndThemesAsync(database);
        }

        // One run each: a second upload into the same database would find every row a duplicate.
        var r = await RawAsync(provider, file, rows);
        var p = await UploadAsync(database, file, rows, token);
        return new ScenarioResult(Name, provider, rows, "rows/s", p, r, rows / p.Elapsed.TotalSeconds, rows / r.Elapsed.TotalSeconds,
            (provider == "postgres" ? "bare CSV split + the same sentiment and theme functions + binary COPY" : "bare CSV split + the same sentiment and theme functions + prepared INSERT, one transaction")
            + string.Create(CultureInfo.InvariantCulture, $"; {new FileInfo(file).Length / 1048576.0:N0} MB file; PSM's peak RSS is the whole server process's"));
    }

    internal static async Task WriteFileAsync(string path, int rows)
    {
        var rng = new Random(11);
        // Spread over the two years up to an hour ago: an import refuses items from the future.
        var end = DateTimeOffset.UtcNow.AddHours(-1);
        var start = end.AddYears(-2);
        var step = (end - start).TotalSeconds / Math.Max(1, rows);
        await using var writer = new StreamWriter(path);
        await writer.WriteLineAsync("text,channel,rating,receivedAt,sourceRef");
        for (var i = 0; i < rows; i++)
        {
            var at = start.AddSeconds(i * step);
            var text = $"{Openings[rng.Next(Openings.Length)]} {Verdicts[rng.Next(Verdicts.Length)]} (account {rng.Next(1, 90_000)}, seat {i % 997})";
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"\"{text}\",{Channels[rng.Next(Channels.Length)]},{rng.Next(0, 11)},{at:yyyy-MM-ddTHH:mm:ssZ},fb-{i}"));
        }
    }

    private static async Task<Measurement> UploadAsync(BenchDatabase database, string file, int rows, string token)
    {
        using var server = HttpImportScenario.Start(database);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(await HttpImportScenario.ListeningAsync(server)), Timeout = TimeSpan.FromHours(1) };
            http.DefaultRequestHeaders.Add(Psm.Web.Features.Account.ApiKey.HeaderName, token);
            var clock = Stopwatch.StartNew();
            await using var body = File.OpenRead(file);
            using var content = new StreamContent(body, 64 * 1024);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            var started = await http.PostAsync("/api/v1/imports/feedback", content);
            var job = await started.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ImportJobDto>(HttpImportScenario.JsonOptions);
            while (!job!.IsFinished)
            {
                await Task.Delay(100);
                job = await http.GetFromJsonAsync<ImportJobDto>($"/api/v1/imports/{job.Id}", HttpImportScenario.JsonOptions);
            }

            clock.Stop();
            if (job is not { Status: ImportJobStatus.Succeeded, Report: { } report } || report.Imported != rows)
            {
                throw new InvalidOperationException($"The import ended {job.Status} with {job.Report?.Imported} of {rows} rows: {job.Error}");
            }

            return new Measurement(clock.Elapsed, 0, HttpImportScenario.PeakRss(server));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<Measurement> RawAsync(string provider, string file, int rows)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        ThemeMatcher matcher;
        await using (var db = database.Factory().CreateDbContext())
        {
            var themes = HttpCreateScenario.Themes().ToList();
            db.Themes.AddRange(themes);
            await db.SaveChangesAsync();
            matcher = new ThemeMatcher(themes.Select(t => (t.Id, t.Keywords)));
        }

        var written = 0;
        var measurement = await Measurement.OfAsync(async () =>
        {
            using var reader = Psm.Web.Infrastructure.Http.CsvImport.Reader(File.OpenRead(file));
            written = await RawWriteAsync(database, reader, matcher);
        });
        return written == rows ? measurement : throw new InvalidOperationException($"The limit wrote {written} of {rows} rows.");
    }

    private static (string Text, string Channel, int Rating, DateTimeOffset At, string Reference) Split(string line)
    {
        var close = line.LastIndexOf('"');
        var rest = line[(close + 2)..].Split(',');
        return (line[1..close], rest[0], int.Parse(rest[1], CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(rest[2], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), rest[3]);
    }

    private static async Task<int> RawWriteAsync(BenchDatabase database, TextReader reader, ThemeMatcher matcher)
    {
        await reader.ReadLineAsync(); // header
        var count = 0;
        var now = DateTimeOffset.UtcNow;
        if (database.Settings.Provider == DatabaseProvider.Postgres)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.Settings.ConnectionString) { CommandTimeout = 0 }.ConnectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var tags = new List<(Guid Item, Guid Theme)>();
            await using (var copy = await connection.BeginBinaryImportAsync(
                """COPY "Feedback" ("Id", "Text", "Channel", "Rating", "ReceivedAt", "ReceivedOn", "SourceRef", "Status", "Sentiment", "SentimentLabel", "CreatedAt", "Version") FROM STDIN (FORMAT BINARY)"""))
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    var (text, channel, rating, at, reference) = Split(line);
                    var sentiment = Sentiment.Score(text);
                    var itemId = Guid.CreateVersion7();
                    foreach (var theme in matcher.Match(text))
                    {
                        tags.Add((itemId, theme));
                    }

                    copy.StartRow();
                    copy.Write(itemId, NpgsqlDbType.Uuid);
                    copy.Write(text, NpgsqlDbType.Varchar);
                    copy.Write(channel, NpgsqlDbType.Varchar);
                    copy.Write(rating, NpgsqlDbType.Integer);
                    copy.Write(at, NpgsqlDbType.TimestampTz);
                    copy.Write(DateOnly.FromDateTime(at.UtcDateTime), NpgsqlDbType.Date);
                    copy.Write(reference, NpgsqlDbType.Varchar);
                    copy.Write("New", NpgsqlDbType.Varchar);
                    copy.Write(sentiment.Score, NpgsqlDbType.Double);
                    copy.Write(sentiment.Label.ToString(), NpgsqlDbType.Varchar);
                    copy.Write(now, NpgsqlDbType.TimestampTz);
                    copy.Write(Guid.NewGuid(), NpgsqlDbType.Uuid);
                    count++;
                }

                await copy.CompleteAsync();
            }

            await using (var copy = await connection.BeginBinaryImportAsync("""COPY "FeedbackThemes" ("FeedbackId", "ThemeId", "ByHand") FROM STDIN (FORMAT BINARY)"""))
            {
                foreach (var (item, theme) in tags)
                {
                    copy.StartRow();
                    copy.Write(item, NpgsqlDbType.Uuid);
                    copy.Write(theme, NpgsqlDbType.Uuid);
                    copy.Write(false, NpgsqlDbType.Boolean);
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
            INSERT INTO "Feedback" ("Id", "Text", "Channel", "Rating", "ReceivedAt", "ReceivedOn", "SourceRef", "Status", "Sentiment", "SentimentLabel", "CreatedAt", "Version")
            VALUES ($id, $text, $channel, $rating, $at, $on, $ref, 'New', $sentiment, $label, $now, $version)
            """;
        await using var tag = sqlite.CreateCommand();
        tag.Transaction = tx;
        tag.CommandText = """INSERT INTO "FeedbackThemes" ("FeedbackId", "ThemeId", "ByHand") VALUES ($item, $theme, 0)""";
        var tagItem = tag.Parameters.Add("$item", SqliteType.Text);
        var tagTheme = tag.Parameters.Add("$theme", SqliteType.Text);
        tag.Prepare();
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var textParameter = command.Parameters.Add("$text", SqliteType.Text);
        var channelParameter = command.Parameters.Add("$channel", SqliteType.Text);
        var ratingParameter = command.Parameters.Add("$rating", SqliteType.Integer);
        var atParameter = command.Parameters.Add("$at", SqliteType.Text);
        var on = command.Parameters.Add("$on", SqliteType.Text);
        var refParameter = command.Parameters.Add("$ref", SqliteType.Text);
        command.Parameters.Add("$now", SqliteType.Text).Value = now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
        var version = command.Parameters.Add("$version", SqliteType.Text);
        var sentimentParameter = command.Parameters.Add("$sentiment", SqliteType.Real);
        var labelParameter = command.Parameters.Add("$label", SqliteType.Text);
        command.Prepare();
        while (await reader.ReadLineAsync() is { } line)
        {
            var (text, channel, rating, at, reference) = Split(line);
            var sentiment = Sentiment.Score(text);
            var itemId = Guid.CreateVersion7().ToString().ToUpperInvariant();
            id.Value = itemId;
            sentimentParameter.Value = sentiment.Score;
            labelParameter.Value = sentiment.Label.ToString();
            textParameter.Value = text;
            channelParameter.Value = channel;
            ratingParameter.Value = rating;
            atParameter.Value = at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
            on.Value = at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            refParameter.Value = reference;
            version.Value = Guid.NewGuid().ToString().ToUpperInvariant();
            await command.ExecuteNonQueryAsync();
            foreach (var theme in matcher.Match(text))
            {
                tagItem.Value = itemId;
                tagTheme.Value = theme.ToString().ToUpperInvariant();
                await tag.ExecuteNonQueryAsync();
            }

            count++;
        }

        await tx.CommitAsync();
        return count;
    }
}
