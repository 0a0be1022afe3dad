using System.Net;
using Psm.TestSupport;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Insights;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

/// <summary>The company view: every card's figure is made by the records its drill-down lists, and what needs attention is what the areas say.</summary>
public sealed class InsightsTests
{
    /// <summary>Every page of a drill-down, read through the API.</summary>
    private static async Task<(DrillDto First, List<DrillItem> Rows)> AllRows(HttpClient client, string key, DateOnly from, DateOnly to, int limit = 500)
    {
        var rows = new List<DrillItem>();
        DrillDto? first = null;
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<DrillDto>(
                $"/api/v1/insights/drill/{key}?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&limit={limit}{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", Json.Options);
            first ??= page;
            rows.AddRange(page!.Rows.Items);
            cursor = page.Rows.NextCursor;
        }
        while (cursor is not null);

        return (first!, rows);
    }

    /// <summary>The figure the listed rows make, computed here from the rows alone.</summary>
    private static double? FigureOf(DrillDto drill, List<DrillItem> rows)
    {
        var scale = drill.Unit == "%" ? 100.0 : 1.0;
        switch (drill.Aggregate)
        {
            case RowAggregate.Share:
                return rows.Count == 0 ? null : scale * rows.Count(r => r.Counted) / rows.Count;
            case RowAggregate.Mean:
                return rows.Count == 0 ? null : rows.Average(r => r.Value!.Value);
            case RowAggregate.Sum:
                return rows.Sum(r => r.Value ?? 0);
            case RowAggregate.Ratio:
                var weight = rows.Sum(r => r.Weight ?? 0);
                return weight == 0 ? null : scale * rows.Sum(r => r.Value ?? 0) / weight;
            default:
                var values = rows.Where(r => r.Value is not null).Select(r => r.Value!.Value).Order().ToList();
                return values.Count == 0 ? null : values[(int)Math.Ceiling(0.5 * values.Count) - 1];
        }
    }

    [Fact]
    public async Task EveryCardsFigureIsMadeByTheRecordsItsDrillDownLists()
    {
        await using var app = new PsmServer(new() { ["Demo:Seed"] = "true", ["Sla:MonitorSeconds"] = "0" });
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var view = (await client.GetFromJsonAsync<CompanyView>("/api/v1/insights/company?days=90", Json.Options))!;
        Assert.Equal(view.To.AddDays(-90), view.From);
        Assert.Equal(CompanyDashboard.CardKeys, view.Cards.Select(c => c.Key));
        foreach (var card in view.Cards)
        {
            Assert.True(card.Value is not null, $"{card.Key} has no figure on the demo data");
            var (drill, rows) = await AllRows(client, card.Key, view.From, view.To);
            Assert.Equal(drill.Summary.Rows, rows.Count);
            Assert.Equal(rows.Count, rows.Select(r => r.Id).Distinct().Count());
            Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.Href), $"{card.Key}: {r.Title} links nowhere"));
            var figure = FigureOf(drill, rows);
            Assert.NotNull(figure);
            // Medians are read from rollups binned to 1/60 of the time above an hour (the metric's definition says so).
            var tolerance = drill.Aggregate == RowAggregate.Median ? Math.Max(0.1, card.Value!.Value / 60) : 0.011;
            Assert.True(Math.Abs(figure!.Value - card.Value!.Value) <= tolerance,
                $"{card.Key}: the card says {card.Value}, its {rows.Count} rows make {figure} ({drill.Summary.Formula})");
            Assert.Equal($"/insights/drill/{card.Key}?from={view.From:yyyy-MM-dd}&to={view.To:yyyy-MM-dd}", card.DrillHref);
        }

        // Pages of 40 hold the same records as pages of 500, in the same order.
        var (_, paged) = await AllRows(client, "survey.nps", view.From, view.To, limit: 40);
        Assert.True(paged.Count > 80, $"{paged.Count} NPS answers: too few to page");
        Assert.Equal((await AllRows(client, "survey.nps", view.From, view.To)).Rows.Select(r => r.Id), paged.Select(r => r.Id));

        // The survey scores and the shares carry the z-test; levels say why they are not tested.
        var nps = view.Cards.Single(c => c.Key == "survey.nps");
        Assert.NotNull(nps.Change?.PValue);
        Assert.NotNull(nps.Change!.Significant);
        Assert.Null(view.Cards.Single(c => c.Key == "commerce.mrr").Change?.Significant);
        Assert.Equal(12, nps.Trend.Count);
        Assert.Contains(view.Cards, c => c.Target is not null);
    }

    [Fact]
    public async Task AChangeIsSignificantOnlyWhenChanceCannotExplainItAndOverdueActionsNeedAttention()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var now = DateTimeOffset.UtcNow;
        async Task Answers(string kind, Func<int, int> score, int count, int daysAgo)
        {
            var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = $"{kind} {daysAgo}", kind, question = "How was it?" })).ReadAsync<SurveyRef>();
            var items = Enumerable.Range(0, count).Select(i => new { score = score(i), respondedAt = now.AddDays(-daysAgo), externalRef = $"{kind}-{daysAgo}-{i}" });
            (await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses/bulk", new { items })).EnsureSuccessStatusCode();
        }

        // NPS went from 60 promoters to 60 detractors; CSAT stayed at half satisfied.
        await Answers("Nps", _ => 10, 60, 100);
        await Answers("Nps", _ => 0, 60, 10);
        await Answers("Csat", i => i % 2 == 0 ? 5 : 2, 40, 100);
        await Answers("Csat", i => i % 2 == 0 ? 5 : 2, 40, 10);

        var review = await (await pm.PostAsJsonAsync("/api/v1/roadmap/reviews", new { title = "Q4 review", attendees = "Priya" })).ReadAsync<SurveyRef>();
        (await pm.PostAsJsonAsync($"/api/v1/roadmap/reviews/{review.Id}/action-items",
            new { text = "Call the three detractors", owner = "Priya", dueOn = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-2) })).EnsureSuccessStatusCode();
        (await pm.PostAsJsonAsync($"/api/v1/roadmap/reviews/{review.Id}/action-items",
            new { text = "Plan the next survey", owner = "Priya", dueOn = DateOnly.FromDateTime(now.UtcDateTime).AddDays(5) })).EnsureSuccessStatusCode();

        var view = (await pm.GetFromJsonAsync<CompanyView>("/api/v1/insights/company?days=90", Json.Options))!;
        var nps = view.Cards.Single(c => c.Key == "survey.nps");
        Assert.Equal(-100, nps.Value);
        Assert.Equal(100, nps.Previous);
        Assert.Equal(-200, nps.Change!.Difference);
        Assert.True(nps.Change.Significant);
        Assert.True(nps.Change.PValue < 0.001);
        var csat = view.Cards.Single(c => c.Key == "survey.csat");
        Assert.Equal(50, csat.Value);
        Assert.Equal(0, csat.Change!.Difference);
        Assert.False(csat.Change.Significant);
        // No orders or subscriptions: the figures say so rather than inventing a zero.
        Assert.Null(view.Cards.Single(c => c.Key == "commerce.churn_rate").Value);

        var overdue = Assert.Single(view.Attention, a => a.Kind == AttentionKind.ActionOverdue);
        Assert.Equal("Call the three detractors", overdue.Title);
        Assert.Equal($"/roadmap/reviews/{review.Id}", overdue.Href);
    }

    [Fact]
    public async Task ADrillDownRefusesWhatItCannotAnswerByNamingTheField()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Contains("key", (await Errors(await client.GetAsync("/api/v1/insights/drill/nope?from=2026-01-01&to=2026-02-01"))).Keys);
        Assert.Contains("key", (await Errors(await client.GetAsync("/api/v1/insights/drill/survey.responses?from=2026-01-01&to=2026-02-01"))).Keys);
        Assert.Contains("teamId", (await Errors(await client.GetAsync($"/api/v1/insights/drill/survey.nps?from=2026-01-01&to=2026-02-01&teamId={Guid.NewGuid()}"))).Keys);
        Assert.Contains("to", (await Errors(await client.GetAsync("/api/v1/insights/drill/survey.nps?from=2026-02-01&to=2026-01-01"))).Keys);
        Assert.Contains("cursor", (await Errors(await client.GetAsync("/api/v1/insights/drill/survey.nps?from=2026-01-01&to=2026-02-01&cursor=bad"))).Keys);
        Assert.Contains("days", (await Errors(await client.GetAsync("/api/v1/insights/company?days=3"))).Keys);
    }

    private sealed record SurveyRef(Guid Id);

    [Fact]
    public async Task AnAlertFiresOnceForItsPeriodAndReachesItsOwnerInTheAppByMailAndByWebhook()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var app = new PsmServer(new()
        {
            ["Alerts:Seconds"] = "0", ["Outbox:SendSeconds"] = "0", ["Mail:FetchSeconds"] = "0", ["Sla:MonitorSeconds"] = "0",
            ["Webhooks:AllowPrivateAddresses"] = "true", ["Webhooks:PollSeconds"] = "0.2", ["Webhooks:ObjectiveWatchSeconds"] = "0",
        });
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        (await admin.PostAsJsonAsync("/api/v1/mail/mailboxes", TestMail.Server.MailboxInput(TestMail.NewAddress("support", "example.test")))).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/v1/webhooks", new { name = "Alerts", kind = "Webhook", url = receiver.Url, events = new[] { "alert.fired" } })).EnsureSuccessStatusCode();
        var ownerAddress = TestMail.NewAddress("mia", "example.test");
        (await admin.PostAsJsonAsync("/api/v1/users", new { email = ownerAddress, displayName = "Mia Metrics", roles = new[] { Roles.Marketer } })).EnsureSuccessStatusCode();
        using var owner = await app.ClientFor(ownerAddress);
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        // Last complete week: ten NPS answers, all detractors.
        var lastWeek = Alerts.LastComplete(AlertPeriod.Week, DateOnly.FromDateTime(DateTime.UtcNow));
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Pulse", kind = "Nps", question = "Recommend us?" })).ReadAsync<SurveyRef>();
        var at = new DateTimeOffset(lastWeek.From.AddDays(2).ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero);
        (await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses/bulk",
            new { items = Enumerable.Range(0, 10).Select(i => new { score = 3, respondedAt = at, externalRef = $"w-{i}" }) })).EnsureSuccessStatusCode();

        // Bad rules are refused by field.
        Assert.Contains("threshold", (await Errors(await owner.PostAsJsonAsync("/api/v1/alert-rules", new { name = "No threshold", metricKey = "survey.nps", condition = "Below" }))).Keys);
        Assert.Contains("metricKey", (await Errors(await owner.PostAsJsonAsync("/api/v1/alert-rules", new { name = "Nothing", metricKey = "nope", condition = "Below", threshold = 1 }))).Keys);
        Assert.Contains("teamId", (await Errors(await owner.PostAsJsonAsync("/api/v1/alert-rules",
            new { name = "Cut", metricKey = "survey.nps", condition = "Below", threshold = 1, teamId = Guid.NewGuid() }))).Keys);
        Assert.Contains("condition", (await Errors(await owner.PostAsJsonAsync("/api/v1/alert-rules",
            new { name = "Test", metricKey = "commerce.mrr", condition = "SignificantChange" }))).Keys);

        var created = await owner.PostAsJsonAsync("/api/v1/alert-rules", new { name = "NPS under zero", metricKey = "survey.nps", condition = "Below", threshold = 0, period = "Week", byEmail = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var rule = await created.ReadAsync<AlertRuleDto>();
        Assert.Equal("Net Promoter Score below 0, each complete week", rule.Describe);
        using var other = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/v1/alert-rules/{rule.Id}/check", null)).StatusCode);

        // Two instances on one database check every rule at once: the alert fires once.
        await using var second = new PsmServer(new(app.SameDatabase()) { ["Alerts:Seconds"] = "0", ["Outbox:SendSeconds"] = "0", ["Webhooks:PollSeconds"] = "0" });
        var fired = await Task.WhenAll(
            Task.Run(async () => { await using var scope = app.Services.CreateAsyncScope(); return await scope.ServiceProvider.GetRequiredService<Alerts>().CheckAllAsync(); }),
            Task.Run(async () => { await using var scope = second.Services.CreateAsyncScope(); return await scope.ServiceProvider.GetRequiredService<Alerts>().CheckAllAsync(); }));
        Assert.Equal(1, fired.Sum());
        var again = await (await owner.PostAsync($"/api/v1/alert-rules/{rule.Id}/check", null)).ReadAsync<AlertCheck>();
        Assert.True(again.Met);
        Assert.True(again.AlreadyFired);
        Assert.Null(again.Fired);

        // The rule shows what the checks saw; a check is no edit: the version a form holds stays valid, and the audit log holds the creation alone.
        var seen = (await owner.GetFromJsonAsync<AlertRuleDto>($"/api/v1/alert-rules/{rule.Id}", Json.Options))!;
        Assert.Equal(-100, seen.LastValue);
        Assert.NotNull(seen.CheckedAt);
        Assert.Equal(rule.Version, seen.Version);
        await using (var scope = app.Services.CreateAsyncScope())
        await using (var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync())
        {
            Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.EntityKey.Contains(rule.Id.ToString())));
        }

        var alerts = (await owner.GetFromJsonAsync<Page<AlertDto>>("/api/v1/alerts", Json.Options))!;
        var alert = Assert.Single(alerts.Items);
        Assert.Equal(-100, alert.Value);
        Assert.Equal((lastWeek.From, lastWeek.To), (alert.PeriodFrom, alert.PeriodTo));
        Assert.Equal($"/insights/drill/survey.nps?from={lastWeek.From:yyyy-MM-dd}&to={lastWeek.To:yyyy-MM-dd}", alert.DrillHref);
        Assert.Empty((await other.GetFromJsonAsync<Page<AlertDto>>("/api/v1/alerts", Json.Options))!.Items);

        // The bell, the mail (the owner asked for it on the rule) and the webhook, each once.
        var bell = Assert.Single((await owner.GetFromJsonAsync<List<Psm.Web.Features.Account.NotificationDto>>("/api/v1/notifications", Json.Options))!);
        Assert.Equal($"/insights/alerts/{alert.Id}", bell.Link);
        Assert.Equal(1, (await (await admin.PostAsync("/api/v1/mail/outbox/send", null)).ReadAsync<Psm.Web.Infrastructure.Outbox.OutboxRunResult>()).Sent);
        var mail = Assert.Single(await TestMail.Server.WaitForAsync(ownerAddress, 1));
        Assert.Contains("NPS under zero", mail.Subject);
        Assert.Contains($"/insights/alerts/{alert.Id}", mail.TextBody);
        var delivered = await receiver.WaitForAsync(r => r.Count >= 1, "alert.fired");
        Assert.Equal("alert.fired", Assert.Single(delivered).EventType);
        Assert.Contains(rule.Id.ToString(), delivered[0].Body);
    }

    [Fact]
    public async Task TheChurnModelLearnsTheDemosSignalBeatsTheRuleAndOpensOutreachForTheAccountsOwner()
    {
        await using var app = new PsmServer(new() { ["Demo:Seed"] = "true", ["Sla:MonitorSeconds"] = "0", ["Churn:TrainHours"] = "0" });
        using var lead = await app.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.NotFound, (await lead.GetAsync("/api/v1/churn/model")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsync("/api/v1/churn/model/train", null)).StatusCode);

        var trained = await lead.PostAsync("/api/v1/churn/model/train", null);
        Assert.True(trained.StatusCode == HttpStatusCode.OK, await trained.Content.ReadAsStringAsync());
        var run = await trained.ReadAsync<ChurnRunDto>();
        Console.WriteLine($"churn run: {System.Text.Json.JsonSerializer.Serialize(run)}");
        Assert.True(run.TrainRows > 1000 && run.TestRows > 1000, $"{run.TrainRows} training rows, {run.TestRows} test rows");
        Assert.True(run.TrainPositives >= 10 && run.TestPositives >= 10);
        // The demo's churn follows detractor answers and tickets: the model must find it and rank better than the rule.
        Assert.True(run.ModelAuc > 0.7, $"AUC {run.ModelAuc}");
        Assert.True(run.ModelAuc > run.BaselineAuc, $"model {run.ModelAuc} against the rule's {run.BaselineAuc}");
        Assert.Equal("model", run.InUse);
        Assert.Equal(run.ModelAuc, (await lead.GetFromJsonAsync<ChurnRunDto>("/api/v1/churn/model", Json.Options))!.ModelAuc);

        var first = (await lead.GetFromJsonAsync<Page<CustomerRiskDto>>("/api/v1/churn/customers?limit=20", Json.Options))!;
        Assert.Equal(Enumerable.Range(1, 20), first.Items.Select(c => c.Rank));
        Assert.True(first.Items.Zip(first.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.All(first.Items.Take(5), c => Assert.NotEmpty(c.Signals));
        Assert.True(first.Items[0].TopDecile);
        var second = (await lead.GetFromJsonAsync<Page<CustomerRiskDto>>($"/api/v1/churn/customers?limit=20&cursor={Uri.EscapeDataString(first.NextCursor!)}", Json.Options))!;
        Assert.Equal(21, second.Items[0].Rank);

        var riskiest = first.Items[0];
        var opened = await lead.PostAsync($"/api/v1/churn/customers/{riskiest.CustomerId}/outreach", null);
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var ticket = await opened.ReadAsync<Psm.Web.Features.ServiceDesk.TicketDto>();
        Assert.Equal(riskiest.CustomerId, ticket.Summary.Customer.Id);
        Assert.Contains("proactive-outreach", ticket.Summary.Tags);
        Assert.Contains(riskiest.Signals[0].Feature, ticket.Description);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsync($"/api/v1/churn/customers/{riskiest.CustomerId}/outreach", null)).StatusCode);
    }

    [Fact]
    public async Task TheBusinessReviewIsAPdfForAQuarterThatHasBegunAndRefusesAnythingElseByField()
    {
        await using var app = new PsmServer(new() { ["Demo:Seed"] = "true", ["Sla:MonitorSeconds"] = "0" });
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        var products = (await client.GetFromJsonAsync<Page<Psm.Web.Features.Catalog.ProductDto>>("/api/v1/products", Json.Options))!.Items;
        foreach (var url in new[] { "/api/v1/insights/business-review.pdf", $"/api/v1/insights/business-review.pdf?year=2026&quarter=2&productId={products[0].Id}" })
        {
            using var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal("%PDF-", System.Text.Encoding.ASCII.GetString(bytes, 0, 5));
            Assert.True(bytes.Length > 10_000, $"{url}: {bytes.Length} bytes");
        }

        Assert.Contains("quarter", (await Errors(await client.GetAsync("/api/v1/insights/business-review.pdf?year=2026&quarter=5"))).Keys);
        Assert.Contains("quarter", (await Errors(await client.GetAsync($"/api/v1/insights/business-review.pdf?year={DateTime.UtcNow.Year + 1}&quarter=1"))).Keys);
        Assert.Contains("year", (await Errors(await client.GetAsync("/api/v1/insights/business-review.pdf?year=1999&quarter=1"))).Keys);
        Assert.Contains("productId", (await Errors(await client.GetAsync($"/api/v1/insights/business-review.pdf?productId={Guid.NewGuid()}"))).Keys);
    }

    [Fact]
    public async Task ASubscriberGetsTheLastQuartersReviewByMailOnceAsAPdf()
    {
        await using var app = new PsmServer(new() { ["Outbox:SendSeconds"] = "0", ["Mail:FetchSeconds"] = "0", ["Sla:MonitorSeconds"] = "0", ["BusinessReview:MailHours"] = "0" });
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        (await admin.PostAsJsonAsync("/api/v1/mail/mailboxes", TestMail.Server.MailboxInput(TestMail.NewAddress("reports", "example.test")))).EnsureSuccessStatusCode();
        var address = TestMail.NewAddress("stella", "example.test");
        (await admin.PostAsJsonAsync("/api/v1/users", new { email = address, displayName = "Stella Board", roles = new[] { Roles.Stakeholder } })).EnsureSuccessStatusCode();
        using var stella = await app.ClientFor(address);

        var created = await stella.PostAsJsonAsync("/api/v1/insights/business-review/subscriptions", new { });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Contains("productId", (await Errors(await stella.PostAsJsonAsync("/api/v1/insights/business-review/subscriptions", new { }))).Keys);
        Assert.Contains("productId", (await Errors(await stella.PostAsJsonAsync("/api/v1/insights/business-review/subscriptions", new { productId = Guid.NewGuid() }))).Keys);
        Assert.Equal(HttpStatusCode.Forbidden, (await stella.PostAsync("/api/v1/insights/business-review/subscriptions/send", null)).StatusCode);

        Assert.Equal(1, (await (await admin.PostAsync("/api/v1/insights/business-review/subscriptions/send", null)).ReadAsync<ReviewMailRun>()).Queued);
        Assert.Equal(0, (await (await admin.PostAsync("/api/v1/insights/business-review/subscriptions/send", null)).ReadAsync<ReviewMailRun>()).Queued);
        Assert.Equal(1, (await (await admin.PostAsync("/api/v1/mail/outbox/send", null)).ReadAsync<Psm.Web.Infrastructure.Outbox.OutboxRunResult>()).Sent);
        var mail = Assert.Single(await TestMail.Server.WaitForAsync(address, 1));
        var today = DateTime.UtcNow;
        var lastStart = new DateOnly(today.Year, ((today.Month - 1) / 3 * 3) + 1, 1).AddMonths(-3);
        var quarter = ((lastStart.Month - 1) / 3) + 1;
        Assert.Equal($"Quarterly business review Q{quarter} {lastStart.Year}: the company", mail.Subject);
        var pdf = Assert.Single(mail.Attachments.OfType<MimeKit.MimePart>());
        Assert.Equal("application/pdf", pdf.ContentType.MimeType);
        using var content = new MemoryStream();
        await pdf.Content!.DecodeToAsync(content);
        Assert.Equal("%PDF-", System.Text.Encoding.ASCII.GetString(content.ToArray(), 0, 5));
        var mine = Assert.Single((await stella.GetFromJsonAsync<List<ReviewSubscriptionDto>>("/api/v1/insights/business-review/subscriptions", Json.Options))!);
        Assert.Equal($"Q{quarter} {lastStart.Year}", mine.LastSent);
        Assert.Equal(HttpStatusCode.NoContent, (await stella.DeleteAsync($"/api/v1/insights/business-review/subscriptions/{mine.Id}")).StatusCode);
    }

    [Fact]
    public async Task ADashboardChartsRegistryFiguresExportsThemAndIsSharedWithARoleOrALinkUntilRevoked()
    {
        await using var app = new PsmServer(new() { ["Demo:Seed"] = "true", ["Sla:MonitorSeconds"] = "0" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var anonymous = app.Anonymous();
        var created = await pm.PostAsJsonAsync("/api/v1/dashboards", new { name = "Helpdesk health" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var board = await created.ReadAsync<DashboardDto>();
        Assert.Contains("sharedWith", (await Errors(await pm.PostAsJsonAsync("/api/v1/dashboards", new { name = "X", sharedWith = new[] { "Janitor" } }))).Keys);
        Assert.Contains("metricKey", (await Errors(await pm.PostAsJsonAsync($"/api/v1/dashboards/{board.Id}/charts", new { metricKey = "nope" }))).Keys);
        Assert.Contains("teamId", (await Errors(await pm.PostAsJsonAsync($"/api/v1/dashboards/{board.Id}/charts", new { metricKey = "survey.nps", teamId = Guid.NewGuid() }))).Keys);
        Assert.Contains("months", (await Errors(await pm.PostAsJsonAsync($"/api/v1/dashboards/{board.Id}/charts", new { metricKey = "survey.nps", months = 99 }))).Keys);

        (await pm.PostAsJsonAsync($"/api/v1/dashboards/{board.Id}/charts", new { metricKey = "survey.nps", months = 6, granularity = "Month", kind = "Line" })).EnsureSuccessStatusCode();
        board = await (await pm.PostAsJsonAsync($"/api/v1/dashboards/{board.Id}/charts",
            new { metricKey = "service.tickets_opened", title = "Tickets a week", months = 3, granularity = "Week", kind = "Bar" })).ReadAsync<DashboardDto>();
        Assert.Equal(["Net Promoter Score", "Tickets a week"], board.Charts.Select(c => c.Title));

        // Each chart is the registry's series over its whole periods, and its CSV holds the same figures.
        foreach (var chart in board.Charts)
        {
            var series = (await pm.GetFromJsonAsync<List<Psm.Web.Features.Strategy.MetricPoint>>(
                $"/api/v1/metrics/{chart.MetricKey}/series?from={chart.From:yyyy-MM-dd}&to={chart.To:yyyy-MM-dd}&granularity={chart.Granularity}", Json.Options))!;
            Assert.Equal(series, chart.Points);
            Assert.Contains(chart.Points, p => p.Value is not null);
            var csv = (await pm.GetStringAsync($"/api/v1/dashboards/{board.Id}/charts/{chart.Id}/data.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"period_start,{chart.MetricKey}", csv[0].Trim());
            Assert.Equal(chart.Points.Select(p => $"{p.Bucket:yyyy-MM-dd},{p.Value?.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}"),
                csv.Skip(1).Select(l => l.Trim()));
        }

        // Not shared: the agent does not see it; shared with agents, they read it and still cannot change it.
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync($"/api/v1/dashboards/{board.Id}")).StatusCode);
        board = await (await pm.PutAsJsonAsync($"/api/v1/dashboards/{board.Id}", new { name = board.Name, sharedWith = new[] { Roles.SupportAgent }, version = board.Version }))
            .ReadAsync<DashboardDto>();
        Assert.Single((await agent.GetFromJsonAsync<List<DashboardSummaryDto>>("/api/v1/dashboards", Json.Options))!, d => d.Id == board.Id);
        Assert.False((await agent.GetFromJsonAsync<DashboardDto>($"/api/v1/dashboards/{board.Id}", Json.Options))!.CanEdit);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.PutAsJsonAsync($"/api/v1/dashboards/{board.Id}", new { name = "Mine now", version = board.Version })).StatusCode);

        // A read-only link, for anyone, until revoked.
        var linked = await (await pm.PostAsync($"/api/v1/dashboards/{board.Id}/link", null)).ReadAsync<DashboardDto>();
        var token = linked.ShareLink!.Split('/').Last();
        var shared = (await anonymous.GetFromJsonAsync<DashboardDto>($"/api/v1/public/dashboards/{token}", Json.Options))!;
        Assert.Equal(2, shared.Charts.Count);
        Assert.Null(shared.ShareLink);
        Assert.Contains("Helpdesk health", await anonymous.GetStringAsync($"/d/{token}"));
        (await pm.DeleteAsync($"/api/v1/dashboards/{board.Id}/link")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/v1/public/dashboards/{token}")).StatusCode);
        Assert.Contains("This link does not work", await anonymous.GetStringAsync($"/d/{token}"));
    }
}
