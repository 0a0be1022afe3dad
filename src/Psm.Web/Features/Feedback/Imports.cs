using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Feedback;

/// <summary>
/// CSV imports of feedback and survey answers. Each runs in one transaction, a batch at a time:
/// with <c>allOrNothing</c> one bad row means nothing is kept (every problem is still reported);
/// otherwise the good rows are kept and each bad one is reported by row number. Rows already
/// imported (same source or external reference) are skipped, so importing a file twice is harmless.
/// Memory is bounded by the batch, not the file: duplicates are looked up per batch in the database,
/// which already holds the earlier batches of the same transaction.
/// </summary>
public sealed class Imports(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    private const int BatchSize = 5000;

    public static readonly IReadOnlyList<ImportField> ResponseFields =
    [
        new("score", true, "the answer on the survey's scale"),
        new("comment", false, "the open answer; it also becomes feedback"),
        new("customer", false, "the customer's external reference or id"),
        new("respondedAt", false, "when it was answered, ISO 8601; now when empty"),
        new("externalRef", false, "the answer's id where it came from; re-imports skip it"),
    ];

    public static readonly IReadOnlyList<ImportField> FeedbackFields =
    [
        new("text", true, "what the customer said"),
        new("channel", true, string.Join(", ", Enum.GetNames<FeedbackChannel>())),
        new("customer", false, "the customer's external reference or id"),
        new("rating", false, "a number from 0 to 10"),
        new("receivedAt", false, "when it was said, ISO 8601; now when empty"),
        new("sourceRef", false, "the item's id where it came from; re-imports skip it"),
    ];

    /// <summary>Imports answers to one survey, streaming them into the table (COPY on PostgreSQL).</summary>
    public async Task<CsvImportResult?> ImportResponsesAsync(
        Guid surveyId, TextReader reader, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing, IProgress<int>? progress = null,
        CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = await db.Surveys.AsNoTracking().SingleOrDefaultAsync(s => s.Id == surveyId, ct);
        if (survey is null)
        {
            return null;
        }

        if (survey.Status == SurveyStatus.Closed)
        {
            throw new RequestValidationException("survey", "This survey is closed and takes no new answers.");
        }

        var matcher = await FeedbackInbox.MatcherAsync(db, ct);
        var (min, max) = survey.Scale;
        var now = time.GetUtcNow();
        var run = new Run(allOrNothing);
        var batch = new List<(int Row, SurveyResponse Response, string? Customer)>(BatchSize);

        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // References stored before this import must all be looked up; those this import wrote are looked up only
        // when the fixed-size filter of written references says "maybe" (a batch's own repeats are caught in memory).
        var surveyHadRefs = await db.SurveyResponses.AnyAsync(r => r.SurveyId == surveyId && r.ExternalRef != null, ct);
        SeenFilter? written = null;

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var customers = await CustomerIdsAsync(db, batch.Select(b => b.Customer), ct);
            var refs = batch.Where(b => b.Response.ExternalRef != null).Select(b => b.Response.ExternalRef!)
                .Where(r => surveyHadRefs || written?.MightContain(r) == true).ToList();
            var known = refs.Count == 0 ? [] : (await db.SurveyResponses
                .Where(r => r.SurveyId == surveyId && r.ExternalRef != null && refs.Contains(r.ExternalRef)).Select(r => r.ExternalRef!).ToListAsync(ct)).ToHashSet();
            var customerIds = customers.Values.Distinct().ToList();
            var alreadyAnswered = customerIds.Count == 0 ? [] : (await db.SurveyResponses
                .Where(r => r.SurveyId == surveyId && r.Wave == survey.Wave && r.CustomerId != null && customerIds.Contains(r.CustomerId.Value))
                .Select(r => r.CustomerId!.Value).ToListAsync(ct)).ToHashSet();

            var keep = new List<SurveyResponse>(batch.Count);
            var batchRefs = new HashSet<string>(StringComparer.Ordinal);
            var answeredThisWave = new HashSet<Guid>();
            foreach (var (row, response, customer) in batch)
            {
                if (response.ExternalRef is { } reference && (known.Contains(reference) || !batchRefs.Add(reference)))
                {
                    run.Duplicates++;
                    continue;
                }

                if (customer is not null)
                {
                    if (!customers.TryGetValue(customer, out var id))
                    {
                        run.Reject(row, "customer", $"There is no customer '{customer}'.");
                        continue;
                    }

                    if (alreadyAnswered.Contains(id) || !answeredThisWave.Add(id))
                    {
                        run.Reject(row, "customer", $"Customer '{customer}' has already answered wave {survey.Wave} of this survey.");
                        continue;
                    }

                    response.CustomerId = id;
                }

                keep.Add(response);
            }

            batch.Clear();
            if (!run.Writing)
            {
                return;
            }

            var comments = keep.Where(r => r.Comment != null).Select(r => FeedbackItem.FromSurveyComment(r, survey, matcher, now)).ToList();

            await WriteAllAsync(db, comments, now, ct);
            await WriteAllAsync(db, comments.SelectMany(c => c.Themes).ToList(), now, ct);
            await WriteAllAsync(db, keep, now, ct);
            run.Imported += keep.Count;
            foreach (var reference in batchRefs)
            {
                (written ??= new SeenFilter()).Add(reference);
            }
        }

        await foreach (var (row, field) in CsvImport.RowsAsync(reader, ResponseFields, mapping, ct))
        {
            run.RowsRead++;
            var problems = new List<(string Field, string Message)>();
            int score = 0;
            var scoreText = field("score");
            if (scoreText.Length == 0)
            {
                problems.Add(("score", "Score is required."));
            }
            else if (!int.TryParse(scoreText, NumberStyles.Integer, CultureInfo.InvariantCulture, out score) || score < min || score > max)
            {
                problems.Add(("score", $"'{scoreText}' is not a whole number from {min} to {max}."));
            }

            var at = Timestamp(field("respondedAt"), now, "respondedAt", problems);
            var comment = field("comment");
            if (comment.Length > 4000)
            {
                problems.Add(("comment", "Comment must be at most 4000 characters."));
            }

            var reference = field("externalRef");
            if (reference.Length > 200)
            {
                problems.Add(("externalRef", "External reference must be at most 200 characters."));
            }

            if (problems.Count > 0)
            {
                problems.ForEach(p => run.Reject(row, p.Field, p.Message));
            }
            else
            {
                batch.Add((row, new SurveyResponse
                {
                    SurveyId = surveyId, Wave = survey.Wave, Score = score, Comment = comment.Length == 0 ? null : comment,
                    Channel = ResponseChannel.Import, RespondedAt = at, RespondedOn = DateOnly.FromDateTime(at.UtcDateTime),
                    ExternalRef = reference.Length == 0 ? null : reference,
                }, field("customer") is { Length: > 0 } c ? c : null));
            }

            if (batch.Count == BatchSize)
            {
                await FlushAsync();
                progress?.Report(run.RowsRead);
            }
        }

        await FlushAsync();
        return await FinishAsync(db, transaction, run, nameof(SurveyResponse), progress, ct);
    }

    /// <summary>Imports feedback items: scored for sentiment and tagged with themes like any other.</summary>
    public async Task<CsvImportResult> ImportFeedbackAsync(
        TextReader reader, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var matcher = await FeedbackInbox.MatcherAsync(db, ct);
        var now = time.GetUtcNow();
        var run = new Run(allOrNothing);
        var batch = new List<(int Row, FeedbackItem Item, string? Customer, string? Hash)>(BatchSize);
        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var customers = await CustomerIdsAsync(db, batch.Select(b => b.Customer), ct);
            var sources = batch.Where(b => b.Item.SourceRef != null).Select(b => b.Item.SourceRef!).Distinct().ToList();
            // Both columns of the unique (Channel, SourceRef) index, so each batch seeks it instead of scanning every item.
            var channels = batch.Where(b => b.Item.SourceRef != null).Select(b => b.Item.Channel).Distinct().ToList();
            var known = sources.Count == 0 ? [] : (await db.Feedback.Where(f => channels.Contains(f.Channel) && f.SourceRef != null && sources.Contains(f.SourceRef))
                .Select(f => new { f.Channel, f.SourceRef }).ToListAsync(ct)).Select(f => (f.Channel, f.SourceRef!)).ToHashSet();
            // Rows without a source reference are recognised by their content (RowFingerprints).
            var knownHashes = await RowFingerprints.KnownAmongAsync(db, nameof(FeedbackItem), batch.Where(b => b.Hash != null).Select(b => b.Hash!), ct);
            var batchSources = new HashSet<(FeedbackChannel, string)>();
            var batchHashes = new HashSet<string>(StringComparer.Ordinal);
            var keep = new List<FeedbackItem>(batch.Count);
            var fresh = new List<string>();
            foreach (var (row, item, customer, hash) in batch)
            {
                if (item.SourceRef is { } source && (known.Contains((item.Channel, source)) || !batchSources.Add((item.Channel, source))))
                {
                    run.Duplicates++;
                    continue;
                }

                if (hash is not null && (knownHashes.Contains(hash) || !batchHashes.Add(hash)))
                {
                    run.Duplicates++;
                    continue;
                }

                if (customer is not null)
                {
                    if (!customers.TryGetValue(customer, out var id))
                    {
                        run.Reject(row, "customer", $"There is no customer '{customer}'.");
                        continue;
                    }

                    item.CustomerId = id;
                }

                keep.Add(item);
                if (hash is not null)
                {
                    fresh.Add(hash);
                }
            }

            batch.Clear();
            if (run.Writing)
            {
                await WriteAllAsync(db, keep, now, ct);
                await WriteAllAsync(db, keep.SelectMany(k => k.Themes).ToList(), now, ct);
                await RowFingerprints.WriteAsync(db, nameof(FeedbackItem), fresh, now, ct);
                run.Imported += keep.Count;
            }
        }

        await foreach (var (row, field) in CsvImport.RowsAsync(reader, FeedbackFields, mapping, ct))
        {
            run.RowsRead++;
            var problems = new List<(string Field, string Message)>();
            var text = field("text");
            if (text.Length == 0)
            {
                problems.Add(("text", "Text is required: what did the customer say?"));
            }
            else if (text.Length > 4000)
            {
                problems.Add(("text", "Text must be at most 4000 characters."));
            }

            var channelText = field("channel");
            if (!Enum.TryParse<FeedbackChannel>(channelText.Replace(" ", ""), ignoreCase: true, out var channel) || int.TryParse(channelText, out _))
            {
                problems.Add(("channel", $"'{channelText}' is not a channel: use one of {string.Join(", ", Enum.GetNames<FeedbackChannel>())}."));
            }

            int? rating = null;
            if (field("rating") is { Length: > 0 } ratingText)
            {
                if (int.TryParse(ratingText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 10)
                {
                    rating = r;
                }
                else
                {
                    problems.Add(("rating", $"'{ratingText}' is not a rating from 0 to 10."));
                }
            }

            var at = Timestamp(field("receivedAt"), now, "receivedAt", problems);
            var source = field("sourceRef");
            var hash = problems.Count == 0 && source.Length == 0 ? RowFingerprints.Of(FeedbackFields.Select(f => field(f.Name))) : null;
            if (problems.Count > 0)
            {
                problems.ForEach(p => run.Reject(row, p.Field, p.Message));
            }
            else
            {
                var item = FeedbackItem.Arrived(text, channel, at, matcher, now);
                item.Rating = rating;
                item.SourceRef = source.Length == 0 ? null : source;
                batch.Add((row, item, field("customer") is { Length: > 0 } c ? c : null, hash));
            }

            if (batch.Count == BatchSize)
            {
                await FlushAsync();
                progress?.Report(run.RowsRead);
            }
        }

        await FlushAsync();
        return await FinishAsync(db, transaction, run, nameof(FeedbackItem), progress, ct);
    }

    private async Task<CsvImportResult> FinishAsync(
        PsmDb db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction, Run run, string entity, IProgress<int>? progress,
        CancellationToken ct)
    {
        progress?.Report(run.RowsRead);
        if (!run.Writing)
        {
            await transaction.RollbackAsync(ct);
            return run.Result(applied: false, imported: 0);
        }

        db.AuditEntries.Add(new AuditEntry
        {
            At = time.GetUtcNow(), UserId = db.CurrentUser?.Actor.UserId, UserName = db.CurrentUser?.Actor.Name ?? "system",
            Action = AuditActions.Imported, Entity = entity, EntityKey = "*",
            Changes = JsonSerializer.Serialize(new { rows = run.Imported, duplicates = run.Duplicates, rejected = run.RejectedRows }),
        });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return run.Result(applied: true, imported: run.Imported);
    }

    private static async Task WriteAllAsync<T>(PsmDb db, IReadOnlyCollection<T> rows, DateTimeOffset now, CancellationToken ct) where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        // One COPY at a time on a connection: the rows' writer is closed before the events' opens.
        await using (var writer = BulkWriter<T>.Open(db))
        {
            foreach (var row in rows)
            {
                await writer.WriteAsync(row, ct);
            }

            await writer.CompleteAsync(ct);
        }

        if (typeof(T) == typeof(FeedbackItem) || typeof(T) == typeof(SurveyResponse))
        {
            // Rows written in bulk pass no interceptor: their events (feedback.created, survey.response_received) are written in bulk beside them.
            await using var events = BulkWriter<Integrations.WebhookEvent>.Open(db);
            foreach (var row in rows)
            {
                await events.WriteAsync(Integrations.EventInterceptor.ForBulkRow(row, now)!, ct);
            }

            await events.CompleteAsync(ct);
        }
    }

    /// <summary>Customers named in a batch, by external reference or id, looked up once per batch.</summary>
    private static async Task<Dictionary<string, Guid>> CustomerIdsAsync(PsmDb db, IEnumerable<string?> names, CancellationToken ct)
    {
        var wanted = names.Where(n => n is not null).Select(n => n!).Distinct().ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        var ids = wanted.Select(w => Guid.TryParse(w, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).ToList();
        var found = await db.Customers.Where(c => (c.ExternalRef != null && wanted.Contains(c.ExternalRef)) || ids.Contains(c.Id))
            .Select(c => new { c.Id, c.ExternalRef }).ToListAsync(ct);
        var map = new Dictionary<string, Guid>();
        foreach (var c in found)
        {
            map[c.Id.ToString()] = c.Id;
            if (c.ExternalRef is not null)
            {
                map[c.ExternalRef] = c.Id;
            }
        }

        return wanted.Where(map.ContainsKey).ToDictionary(w => w, w => map[w]);
    }

    private static DateTimeOffset Timestamp(string text, DateTimeOffset now, string field, List<(string, string)> problems)
    {
        if (text.Length == 0)
        {
            return now;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            if (at <= now.AddMinutes(5))
            {
                return at;
            }

            problems.Add((field, "The time is in the future."));
        }
        else
        {
            problems.Add((field, $"'{text}' is not a date and time (use ISO 8601, e.g. 2026-03-01T09:30:00Z)."));
        }

        return now;
    }

    private sealed class Run(bool allOrNothing)
    {
        private readonly List<ImportRowProblem> problems = [];
        private readonly HashSet<int> rejectedRows = [];
        private bool truncated;

        public int RowsRead { get; set; }
        public int Imported { get; set; }
        public int Duplicates { get; set; }
        public int RejectedRows => rejectedRows.Count;

        /// <summary>In all-or-nothing mode writing stops at the first rejection; validation goes on.</summary>
        public bool Writing => !allOrNothing || rejectedRows.Count == 0;

        public void Reject(int row, string field, string message)
        {
            rejectedRows.Add(row);
            if (problems.Count < CsvImport.MaxReportedProblems)
            {
                problems.Add(new ImportRowProblem(row, field, message));
            }
            else
            {
                truncated = true;
            }
        }

        public CsvImportResult Result(bool applied, int imported) =>
            new(RowsRead, imported, Duplicates, problems.OrderBy(p => p.Row).ToList(), truncated, applied);
    }
}
