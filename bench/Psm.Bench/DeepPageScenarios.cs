using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Bench;

/// <summary>
/// feedback-deep-page and queue-deep-page: the page of 50 after 90 000 rows (feedback newest first; the queue of open
/// tickets newest first), against the first page of the same list through the same service in the same run. Keyset
/// paging should make depth free: the target is 0.8x of the first page.
/// </summary>
public static class DeepPageScenarios
{
    public const string Feedback = "feedback-deep-page";
    public const string Queue = "queue-deep-page";
    private const int Depth = 90_000;

    public static async Task<ScenarioResult> RunFeedbackAsync(string provider, int items, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        var start = now.AddDays(-400);
        await MetricSeriesScenario.SeedAsync(database, Enumerable.Range(0, items).Select(i =>
        {
            var at = start.AddSeconds((now - start).TotalSeconds * i / items);
            return new FeedbackItem
            {
                Text = $"Feedback number {i} about the export screen", Channel = (FeedbackChannel)(i % 5), ReceivedAt = at, ReceivedOn = DateOnly.FromDateTime(at.UtcDateTime),
                Status = FeedbackStatus.New, SentimentLabel = SentimentLabel.Neutral, CreatedAt = at,
            };
        }));
        var inbox = new FeedbackInbox(database.Factory(), TimeProvider.System);
        var deep = await CursorAtDepthAsync(async page => await inbox.ListAsync(new FeedbackFilter(), page));
        var (p, r) = await Measurement.PairAsync(
            () => inbox.ListAsync(new FeedbackFilter(), PageRequest.Parse(50, deep)),
            () => inbox.ListAsync(new FeedbackFilter(), new PageRequest(50, null)), repeats);
        return new ScenarioResult(Feedback, provider, items, "pages/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: $"the first page of the same list, same service; PSM's page is after {Depth:N0} items");
    }

    public static async Task<ScenarioResult> RunQueueAsync(string provider, int tickets, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        await ServiceDeskScenarios.SeedAsync(database, tickets, DateTimeOffset.UtcNow, openShare: 1, dueInPast: false);
        var settings = ServiceDeskScenarios.NoSettings;
        var service = new Tickets(database.Factory(), TimeProvider.System, new CurrentUser(), settings, new PublicAddress(settings));
        var deep = await CursorAtDepthAsync(async page => await service.QueueAsync(new QueueFilter(QueueView.AllOpen), page));
        var (p, r) = await Measurement.PairAsync(
            () => service.QueueAsync(new QueueFilter(QueueView.AllOpen), PageRequest.Parse(50, deep)),
            () => service.QueueAsync(new QueueFilter(QueueView.AllOpen), new PageRequest(50, null)), repeats);
        return new ScenarioResult(Queue, provider, tickets, "pages/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: $"the first page of open tickets, same service; PSM's page is after {Depth:N0} tickets");
    }

    /// <summary>Walks the list 500 rows a page to the cursor after <see cref="Depth"/> rows, as a client paging through would.</summary>
    private static async Task<string> CursorAtDepthAsync<T>(Func<PageRequest, Task<Page<T>>> list)
    {
        string? cursor = null;
        for (var read = 0; read < Depth; read += PageRequest.MaxLimit)
        {
            cursor = (await list(PageRequest.Parse(PageRequest.MaxLimit, cursor))).NextCursor
                ?? throw new InvalidOperationException($"The list ended before {Depth:N0} rows.");
        }

        return cursor!;
    }
}
