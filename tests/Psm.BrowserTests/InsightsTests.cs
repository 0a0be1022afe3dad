using System.Text.RegularExpressions;
using System.Net.Http.Json;
using Psm.Web.Features.Insights;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class InsightsTests(BrowserFixture browser)
{
    [Fact]
    public async Task AProductManagerReadsTheCompanyViewAndFollowsAFigureToTheAnswersThatMakeIt()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var view = (await pm.GetFromJsonAsync<CompanyView>("/api/v1/insights/company?days=90", Json.Options))!;
            var nps = view.Cards.Single(c => c.Key == "survey.nps");

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            var card = page.GetByTestId("kpi-survey.nps");
            await Expect(card.GetByTestId("kpi-value")).ToHaveTextAsync(FigureText.Format(nps.Value, nps.Unit));
            await Expect(card.GetByTestId("kpi-significance")).ToHaveTextAsync(nps.Change!.Significant == true ? "significant" : "within chance");
            await Expect(card.Locator("svg.sparkline")).ToBeVisibleAsync();
            foreach (var key in CompanyDashboard.CardKeys)
            {
                await Expect(page.GetByTestId($"kpi-{key}")).ToBeVisibleAsync();
            }

            // What needs attention names the objectives at risk the objectives list shows.
            foreach (var o in view.Objectives.Where(o => o.AtRisk))
            {
                await Expect(page.GetByTestId("needs-attention")).ToContainTextAsync(o.Title);
            }

            await session.ScreenshotAsync("company-view");

            await card.GetByTestId("kpi-value").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"/insights/drill/survey.nps\\?from={view.From:yyyy-MM-dd}&to={view.To:yyyy-MM-dd}$"));
            await Expect(page.GetByTestId("drill-figure")).ToHaveTextAsync(FigureText.Format(nps.Value, nps.Unit));
            var drill = (await pm.GetFromJsonAsync<DrillDto>($"/api/v1/insights/drill/survey.nps?from={view.From:yyyy-MM-dd}&to={view.To:yyyy-MM-dd}", Json.Options))!;
            await Expect(page.GetByTestId("drill-count")).ToHaveTextAsync(drill.Summary.Rows.ToString("N0"));
            await Expect(page.GetByTestId("drill-formula")).ToContainTextAsync("promoter");
            var shown = Math.Min(100, drill.Summary.Rows);
            await Expect(page.GetByTestId("drill-rows").Locator("tbody tr")).ToHaveCountAsync((int)shown);
            await session.ScreenshotAsync("drill-nps");
            if (drill.Summary.Rows > 100)
            {
                await page.GetByTestId("drill-more").ClickAsync();
                await Expect(page.GetByTestId("drill-rows").Locator("tbody tr")).ToHaveCountAsync((int)Math.Min(200, drill.Summary.Rows));
            }

            // A metric with no drill-down says so instead of failing.
            await page.GotoAsync("/insights/drill/survey.responses");
            await Expect(page.GetByTestId("drill-error")).ToContainTextAsync("has no drill-down");
        });
    }

    [Fact]
    public async Task EachRoleGetsTheHomeThatFitsIt()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var agent = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
            var home = (await agent.GetFromJsonAsync<MyHome>("/api/v1/insights/home", Json.Options))!;
            Assert.NotNull(home.Support);
            Assert.Null(home.Company);

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await Expect(page.GetByTestId("my-open")).ToContainTextAsync(home.Support!.MyOpen.ToString("N0"));
            await Expect(page.GetByTestId("my-csat")).ToContainTextAsync(FigureText.Format(home.Support.MyCsat, "%"));
            await Expect(page.GetByTestId("kpi-survey.nps")).ToHaveCountAsync(0);
            await session.ScreenshotAsync("home-agent");

            using var marketer = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Marketer));
            var marketing = (await marketer.GetFromJsonAsync<MyHome>("/api/v1/insights/home", Json.Options))!.Marketing!;
            await page.GetByTestId("sign-out").ClickAsync();
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Marketer));
            foreach (var c in marketing.Campaigns)
            {
                await Expect(page.GetByTestId("my-campaigns")).ToContainTextAsync(c.Name);
            }

            await Expect(page.GetByTestId("kpi-campaign.return_on_spend")).ToBeVisibleAsync();
            await session.ScreenshotAsync("home-marketer");

            await page.GetByTestId("sign-out").ClickAsync();
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Stakeholder));
            await Expect(page.GetByTestId("my-concerns")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("kpi-survey.nps")).ToBeVisibleAsync();
            await session.ScreenshotAsync("home-stakeholder");
        });
    }

    [Fact]
    public async Task AMarketerSetsAnAlertChecksItAndFollowsItToTheAnswers()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Alerts:Seconds"] = "0" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var lastWeek = Alerts.LastComplete(AlertPeriod.Week, DateOnly.FromDateTime(DateTime.UtcNow));
            var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Pulse", kind = "Nps", question = "Recommend us?" })).ReadAsync<Psm.Web.Features.Feedback.SurveyDto>();
            var at = new DateTimeOffset(lastWeek.From.AddDays(1).ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero);
            (await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses/bulk",
                new { items = Enumerable.Range(0, 8).Select(i => new { score = i < 6 ? 2 : 10, respondedAt = at, externalRef = $"b-{i}" }) })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Marketer));
            await session.NavigateAsync("Alerts");
            await page.GetByTestId("alert-name").FillAsync("NPS slipping");
            await page.GetByTestId("alert-threshold").FillAsync("10");
            await page.GetByTestId("alert-threshold").BlurAsync();
            await page.GetByTestId("save-alert").ClickAsync();
            var row = page.GetByTestId("alert-rules").Locator("tbody tr", new() { HasText = "NPS slipping" });
            await Expect(row).ToContainTextAsync("Net Promoter Score below +10, each complete week");
            await row.GetByTestId("check-alert").ClickAsync();
            // Six detractors and two promoters: NPS -50.
            await Expect(page.GetByTestId("check-result")).ToContainTextAsync("was -50");
            await Expect(page.GetByTestId("check-result")).ToContainTextAsync("the alert fired");
            await session.ScreenshotAsync("alerts");
            await page.ReloadAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("notification-count")).ToContainTextAsync("1");

            await page.GetByTestId("fired-alerts").GetByRole(AriaRole.Link).First.ClickAsync();
            await Expect(page.GetByTestId("alert-value")).ToHaveTextAsync("-50");
            await session.ScreenshotAsync("alert");
            await page.GetByTestId("alert-drill").ClickAsync();
            await Expect(page.GetByTestId("drill-count")).ToHaveTextAsync("8");
            await Expect(page.GetByTestId("drill-figure")).ToHaveTextAsync("-50");
        });
    }

    [Fact]
    public async Task ALeadRetrainsTheChurnModelAndOpensOutreachForTheRiskiestCustomer()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportLead));
            await session.NavigateAsync("Churn risk");
            await Expect(page.GetByTestId("no-model")).ToBeVisibleAsync();
            await page.GetByTestId("retrain").ClickAsync();
            await Expect(page.GetByTestId("churn-in-use")).ToContainTextAsync("In use: the model", new() { Timeout = 60_000 });
            using var lead = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
            var run = (await lead.GetFromJsonAsync<ChurnRunDto>("/api/v1/churn/model", Json.Options))!;
            await Expect(page.GetByTestId("model-row")).ToContainTextAsync(run.ModelAuc!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
            var riskiest = (await lead.GetFromJsonAsync<Psm.Web.Infrastructure.Http.Page<CustomerRiskDto>>("/api/v1/churn/customers?limit=1", Json.Options))!.Items[0];
            var first = page.GetByTestId("at-risk").Locator("tbody tr").First;
            await Expect(first).ToContainTextAsync(riskiest.Name);
            await session.ScreenshotAsync("churn-risk");

            await first.GetByRole(AriaRole.Link, new() { Name = riskiest.Name }).ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("churn-score")).ToHaveTextAsync(riskiest.Score.ToString("P0"));
            await Expect(page.GetByTestId("churn-signals")).ToContainTextAsync(riskiest.Signals[0].Feature);
            await page.GetByTestId("outreach").ClickAsync();
            await Expect(page.GetByTestId("outreach-ticket")).ToContainTextAsync("opened");
            await session.ScreenshotAsync("churn-customer");
            await page.GetByTestId("outreach-ticket").ClickAsync();
            await Expect(page.GetByText("Proactive outreach")).ToBeVisibleAsync();
        });
    }

    private static async Task<string> Run(string tool, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {error}");
        return output;
    }

    [Fact]
    public async Task AStakeholderDownloadsTheQuarterlyBusinessReviewAndItsFirstPageSaysWhatTheCompanyViewSays()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Stakeholder));
            await session.NavigateAsync("Business review");
            await session.ScreenshotAsync("business-review");
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("download-review").ClickAsync());
            var folder = Path.Combine(Session.ScreenshotFolder, TestProvider.Name);
            var pdf = Path.Combine(folder, "business-review.pdf");
            await download.SaveAsAsync(pdf);
            Assert.StartsWith("business-review-", download.SuggestedFilename);

            // The first page as an image (kept with the screenshots), and its text.
            await Run("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, Path.Combine(folder, "business-review-page-1"));
            Assert.True(new FileInfo(Path.Combine(folder, "business-review-page-1.png")).Length > 20_000, "the first page rendered nearly blank");
            var text = await Run("pdftotext", "-f", "1", "-l", "1", "-layout", pdf, "-");
            using var client = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
            // The last complete quarter, which the page offers first.
            var today = DateTime.UtcNow;
            var lastStart = new DateOnly(today.Year, ((today.Month - 1) / 3 * 3) + 1, 1).AddMonths(-3);
            var (year, quarter) = (lastStart.Year, ((lastStart.Month - 1) / 3) + 1);
            Assert.Contains($"Quarterly business review, Q{quarter} {year}", text);
            Assert.Contains(Psm.Web.Data.Demo.DemoData.CompanyName, text);
            Assert.Contains("Objectives", text);
            // The quarter's NPS is the registry's figure for those three months, as the company view would show it.
            var from = new DateOnly(year, ((quarter - 1) * 3) + 1, 1);
            var nps = (await client.GetFromJsonAsync<Psm.Web.Features.Strategy.MetricValue>(
                $"/api/v1/metrics/survey.nps/value?from={from:yyyy-MM-dd}&to={from.AddMonths(3):yyyy-MM-dd}", Json.Options))!;
            var all = await Run("pdftotext", "-layout", pdf, "-");
            Assert.Contains(FigureText.Format(nps.Value, "points"), all);
            Assert.Contains("Concerns still open", all);

            // Asked for by e-mail each quarter, the review shows under "By e-mail" until stopped.
            await page.GetByTestId("subscribe-review").ClickAsync();
            await Expect(page.GetByTestId("review-subscriptions")).ToContainTextAsync("The whole company · none sent yet");
            await page.GetByRole(AriaRole.Button, new() { Name = "Stop mailing the review of the company" }).ClickAsync();
            await Expect(page.GetByTestId("review-subscriptions")).ToContainTextAsync("You get no review by e-mail.");
        });
    }

    [Fact]
    public async Task AProductManagerBuildsADashboardAndSharesItByALinkAnyoneCanOpen()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Dashboards");
            await page.GetByTestId("dashboard-name").FillAsync("Board meeting");
            await page.GetByTestId("dashboard-name").BlurAsync();
            await page.GetByTestId("create-dashboard").ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Board meeting" })).ToBeVisibleAsync();
            await session.WaitUntilInteractiveAsync();
            // The default chart: NPS by month over twelve months, as a line.
            await page.GetByTestId("add-chart-button").ClickAsync();
            var chart = page.GetByTestId("dashboard-chart");
            await Expect(chart).ToHaveCountAsync(1);
            await Expect(chart.Locator("svg[data-testid=chart-svg] polyline")).ToHaveCountAsync(1);
            await Expect(chart.GetByTestId("chart-csv")).ToHaveAttributeAsync("href", new Regex("/data.csv$"));
            await page.GetByTestId("make-link").ClickAsync();
            var link = await page.GetByTestId("share-link").GetAttributeAsync("href");
            Assert.StartsWith("/d/", link);
            await session.ScreenshotAsync("dashboard");

            // Anyone with the link, signed out, reads it.
            var outsider = await browser.Browser.NewPageAsync(new() { BaseURL = session.Server.BaseAddress.ToString() });
            await outsider.GotoAsync(link!);
            await Expect(outsider.GetByTestId("shared-name")).ToHaveTextAsync("Board meeting");
            await Expect(outsider.GetByTestId("shared-chart").Locator("svg polyline")).ToHaveCountAsync(1);
            await outsider.CloseAsync();

            await page.GetByTestId("revoke-link").ClickAsync();
            await Expect(page.GetByTestId("make-link")).ToBeVisibleAsync();
            var again = await browser.Browser.NewPageAsync(new() { BaseURL = session.Server.BaseAddress.ToString() });
            await again.GotoAsync(link!);
            await Expect(again.GetByText("This link does not work")).ToBeVisibleAsync();
            await again.CloseAsync();
        });
    }
}
