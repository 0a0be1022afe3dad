using System.Globalization;
using Psm.Bench;

// dotnet run -c Release --project bench/Psm.Bench -- <scenario|all> --provider sqlite|postgres|both --scale N
//   [--repeats R] [--write docs/benchmarks.md]
// --scale N means N x 250 generated customers (the demo generator's unit); 400 is 100 000 rows.
// objectives-list always uses 10 000 objectives with two key results and six check-ins each.
// responses-import and nps-by-segment use ten survey answers per customer: 1 000 000 at the default scale.
// campaign-audience uses ten customers per generated one (1 000 000 at the default scale); campaign-results
// always uses 200 campaigns with a year of daily results on three channels (219 000 rows).
// service-queue and service-dashboard use ten tickets per generated customer (1 000 000 at the default scale);
// sla-job uses one open ticket per generated customer (100 000), all past their targets.
// customer-figures uses ten customers per generated one (1 000 000) with five orders each and a subscription every second;
// mrr-series uses as many subscriptions, one per customer.
// mail-ingest and mail-outbox always use 10 000 messages and need the mail server (PSM_TEST_MAIL; bench/run.sh starts one).
// PostgreSQL needs PSM_PG_CONNECTION; bench/run.sh starts a throwaway server and sets it.
var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: <customers-insert|metric-series|objectives-list|responses-import|nps-by-segment|roadmap-board|roadmap-prioritisation|roadmap-alignment|campaign-audience|campaign-results|service-queue|service-dashboard|sla-job|customer-figures|mrr-series|mail-ingest|mail-outbox|assistant-retrieval|chat-relay|webhook-delivery|ticket-create-with-event|feedback-create-http|feedback-deep-page|queue-deep-page|peer-create-http|cluster-read-http|cluster-write-http|responses-import-http|feedback-import-http|survey-scores|rollup-upkeep|company-view|alert-rules|churn-training|churn-scoring|global-search|all> --provider sqlite|postgres|both --scale N [--repeats R] [--write FILE]");
    return 2;
}

var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0:N0} GiB, " +
              $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
Console.WriteLine($"PSM bench on {machine}");
var results = new List<(ScenarioResult, string)>();
var rows = options.Scale * Psm.Web.Data.Demo.DemoData.CustomersPerScale;
// Each scenario: how to run it, and the least share of the limit's throughput PSM must reach.
var scenarios = new (string Name, Func<string, Task<ScenarioResult>> Run, double Target)[]
{
    (CustomerInsertScenario.Name, p => CustomerInsertScenario.RunAsync(p, rows, options.Repeats), 0.5),
    (MetricSeriesScenario.Name, p => MetricSeriesScenario.RunAsync(p, rows, options.Repeats * 5), 1 / 1.5),
    (ObjectivesListScenario.Name, p => ObjectivesListScenario.RunAsync(p, 10_000, options.Repeats), 1 / 1.5),
    // Survey answers: ten per generated customer, so the default scale gives the 1 000 000.
    (ResponsesImportScenario.Name, p => ResponsesImportScenario.RunAsync(p, rows * 10, Math.Min(options.Repeats, 3)), 0.5),
    (NpsBySegmentScenario.Name, p => NpsBySegmentScenario.RunAsync(p, rows * 10, options.Repeats * 3), 1 / 1.5),
    // The roadmap's views always over 10 000 initiatives, the scale.
    (RoadmapScenarios.Board, p => RoadmapScenarios.RunBoardAsync(p, 10_000, options.Repeats * 3), 1 / 1.5),
    (RoadmapScenarios.Prioritisation, p => RoadmapScenarios.RunPrioritisationAsync(p, 10_000, options.Repeats * 3), 1 / 1.5),
    (RoadmapScenarios.Alignment, p => RoadmapScenarios.RunAlignmentAsync(p, 10_000, options.Repeats * 3), 1 / 1.5),
    // Campaigns: an audience over ten customers per generated one (1 000 000 at the default scale), and a
    // results page among 200 campaigns with a year of daily results on three channels.
    (CampaignScenarios.Audience, p => CampaignScenarios.RunAudienceAsync(p, rows * 10, options.Repeats * 3), 1 / 1.5),
    (CampaignScenarios.Results, p => CampaignScenarios.RunResultsAsync(p, 200, options.Repeats * 3), 1 / 1.5),
    // The service desk: the queue and the dashboard over ten tickets per generated customer (1 000 000 at the default
    // scale), and the SLA monitor over one open ticket per generated customer (100 000).
    (ServiceDeskScenarios.Queue, p => ServiceDeskScenarios.RunQueueAsync(p, rows * 10, options.Repeats * 3), 1 / 1.5),
    // The dashboard reads the daily rollups (ADR-015): ten times the hand-written SQL over the tickets.
    (ServiceDeskScenarios.Dashboard, p => ServiceDeskScenarios.RunDashboardAsync(p, rows * 10, options.Repeats), 10),
    (ServiceDeskScenarios.SlaJob, p => ServiceDeskScenarios.RunSlaJobAsync(p, rows, Math.Min(options.Repeats, 3)), 0.5),
    // Computed customer figures: lifetime value and churn recomputed for ten customers per generated one (1 000 000 at the
    // default scale, with 5 000 000 orders), and MRR as a series over as many subscriptions.
    (CommerceScenarios.Figures, p => CommerceScenarios.RunFiguresAsync(p, rows * 10, Math.Min(options.Repeats, 3)), 0.5),
    (CommerceScenarios.MrrSeries, p => CommerceScenarios.RunMrrSeriesAsync(p, rows * 10, options.Repeats), 1 / 1.5),
    // The e-mail channel against the real mail server: 10 000 messages read into tickets, 10 000 queued mails sent (one run each).
    (MailScenarios.Ingest, p => MailScenarios.RunIngestAsync(p, 10_000), 0.5),
    (MailScenarios.Outbox, p => MailScenarios.RunOutboxAsync(p, 10_000), 0.5),
    // The help-centre assistant's retrieval over 10 000 articles (no database: it runs once, under the first provider).
    (AssistantScenario.Name, p => p == options.Providers[0] ? AssistantScenario.RunAsync(10_000, 5_000) : Task.FromResult<ScenarioResult>(null!), 0.5),
    // Live chat: 500 widget connections each sending 20 messages into chats with a person, against a bare SignalR relay.
    (ChatScenario.Name, p => ChatScenario.RunAsync(p, 500, 20), 0.5),
    (WebhookScenarios.Delivery, p => WebhookScenarios.RunDeliveryAsync(p, 10_000), 0.5),
    (WebhookScenarios.EventWrite, p => WebhookScenarios.RunEventWriteAsync(p, 1_000), 1 / 1.1),
    // One feedback item per request through the API, 16 connections, against a bare ADO.NET insert endpoint in the same process.
    (HttpCreateScenario.Name, p => HttpCreateScenario.RunAsync(p, 3_000, options.Repeats), 0.8),
    // Keyset paging at depth: the page after 90 000 rows of 100 000, against the first page of the same list.
    (DeepPageScenarios.Feedback, p => DeepPageScenarios.RunFeedbackAsync(p, 100_000, options.Repeats * 5), 0.8),
    (DeepPageScenarios.Queue, p => DeepPageScenarios.RunQueueAsync(p, 100_000, options.Repeats * 5), 0.8),
    // Single creates against LogChimp on the same PostgreSQL (only when LogChimp runs: LC_BASE, LC_TOKEN, LC_BOARD).
    (PeerScenario.Name, async p => (await PeerScenario.RunAsync(p, 3_000, options.Repeats))!, 3.0),
    // Two instances behind HAProxy against one reached directly (PostgreSQL): the 0.9x.
    (ClusterScenarios.Read, async p => (await ClusterScenarios.RunAsync(p, writeHeavy: false, 3_000, options.Repeats))!, 0.9),
    (ClusterScenarios.Write, async p => (await ClusterScenarios.RunAsync(p, writeHeavy: true, 3_000, options.Repeats))!, 0.9),
    // Survey answers uploaded to PSM running as its own process, as a background import job: fifty per generated customer
    // (5 000 000 at the default scale), against the bare bulk write in the bench's process.
    (HttpImportScenario.Name, p => HttpImportScenario.RunAsync(p, rows * 50, Math.Min(options.Repeats, 3)), 0.5),
    // Feedback items uploaded the same way: ten per generated customer (1 000 000 at the default scale), one run each.
    (FeedbackImportScenario.Name, p => FeedbackImportScenario.RunAsync(p, rows * 10), 0.5),
    // A year's NPS and its monthly trend over fifty answers per generated customer (5 000 000 at the default scale), from the
    // daily rollups, against hand-written SQL over the answers; and what keeping the rollups costs 2 000 tickets' saves.
    (RollupScenarios.SurveyScores, p => RollupScenarios.RunSurveyScoresAsync(p, rows * 50, options.Repeats), 10),
    (RollupScenarios.Upkeep, p => RollupScenarios.RunUpkeepAsync(p, 2_000), 1 / 1.1),
    // Insights: the company view over ten customers, fifty answers and ten tickets per generated customer (1 000 000, 5 000 000 and
    // 1 000 000 at the default scale) against the same figures by hand-written SQL; the alert job over 1 000 rules (on one ticket
    // per generated customer); churn training and scoring over one customer per generated one (100 000).
    (CompanyViewScenario.Name, p => CompanyViewScenario.RunAsync(p, rows * 10, rows * 50, rows * 10, options.Repeats), 1 / 1.5),
    (AlertRulesScenario.Name, p => AlertRulesScenario.RunAsync(p, 1_000, rows, Math.Min(options.Repeats, 3)), 1 / 1.5),
    (ChurnScenarios.Training, p => ChurnScenarios.RunTrainingAsync(p, rows, Math.Min(options.Repeats, 3)), 0.2),
    (ChurnScenarios.Scoring, p => ChurnScenarios.RunScoringAsync(p, rows, options.Repeats), 0.5),
    // Global search over ten customers and ten tickets per generated customer (1 000 000 each at the default scale).
    (SearchScenario.Name, p => SearchScenario.RunAsync(p, rows * 10, rows * 10, options.Repeats * 3), 1 / 1.5),
};
foreach (var provider in options.Providers)
{
    foreach (var (name, run, target) in scenarios.Where(s => options.Scenario == "all" || s.Name == options.Scenario))
    {
        Console.WriteLine($"\n{name} on {provider}");
        var result = await run(provider);
        if (result is null)
        {
            Console.WriteLine("  (not run here: it runs once, under the first provider, or needs its peer)");
            continue;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  PSM   {result.PsmRate,12:N1} {result.Unit}  ({result.Psm.Elapsed.TotalMilliseconds:N0} ms, allocated {result.Psm.AllocatedBytes / 1048576.0:N0} MB, peak RSS +{result.Psm.PeakWorkingSetBytes / 1048576.0:N0} MB)\n" +
            $"  limit {result.RawRate,12:N1} {result.Unit}  ({result.Raw.Elapsed.TotalMilliseconds:N0} ms, allocated {result.Raw.AllocatedBytes / 1048576.0:N0} MB, peak RSS +{result.Raw.PeakWorkingSetBytes / 1048576.0:N0} MB; {result.Limit})\n" +
            $"  ratio {result.Ratio:0.00}x (target >= {target:0.00}x)"));
        results.Add((result, string.Create(CultureInfo.InvariantCulture, $">= {target:0.00}x")));
    }
}

if (options.WritePath is { } path)
{
    BenchmarkReport.Write(path, results, machine);
    Console.WriteLine($"\nWrote {path}");
}

return 0;

internal sealed record Options(string Scenario, IReadOnlyList<string> Providers, int Scale, int Repeats, string? WritePath)
{
    public static Options? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not (CustomerInsertScenario.Name or MetricSeriesScenario.Name or ObjectivesListScenario.Name
            or ResponsesImportScenario.Name or NpsBySegmentScenario.Name or RoadmapScenarios.Board or RoadmapScenarios.Prioritisation
            or RoadmapScenarios.Alignment or CampaignScenarios.Audience or CampaignScenarios.Results or ServiceDeskScenarios.Queue
            or ServiceDeskScenarios.Dashboard or ServiceDeskScenarios.SlaJob or CommerceScenarios.Figures or CommerceScenarios.MrrSeries
            or MailScenarios.Ingest or MailScenarios.Outbox or AssistantScenario.Name or ChatScenario.Name or WebhookScenarios.Delivery or WebhookScenarios.EventWrite or HttpCreateScenario.Name or DeepPageScenarios.Feedback or DeepPageScenarios.Queue or PeerScenario.Name or ClusterScenarios.Read or ClusterScenarios.Write or HttpImportScenario.Name
            or FeedbackImportScenario.Name or RollupScenarios.SurveyScores or RollupScenarios.Upkeep or CompanyViewScenario.Name or AlertRulesScenario.Name
            or ChurnScenarios.Training or ChurnScenarios.Scoring or SearchScenario.Name or "all"))
        {
            return null;
        }

        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var provider = Value("--provider") ?? "sqlite";
        if (provider is not ("sqlite" or "postgres" or "both"))
        {
            return null;
        }

        var scale = int.TryParse(Value("--scale"), out var s) && s > 0 ? s : 400;
        var repeats = int.TryParse(Value("--repeats"), out var r) && r > 0 ? r : 5;
        return new Options(args[0], provider == "both" ? ["sqlite", "postgres"] : [provider], scale, repeats, Value("--write"));
    }
}
