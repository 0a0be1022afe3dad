using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class VoiceOfCustomerTests(BrowserFixture browser)
{
    [Fact]
    public async Task AnAnonymousVisitorAnswersThroughThePublicLinkAndTheNpsMoves()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var survey = await (await api.PostAsJsonAsync("/api/v1/surveys",
                new { name = "Relationship NPS", kind = "Nps", question = "How likely are you to recommend us?", followUpQuestion = "What is the main reason?" }))
                .ReadAsync<SurveyDto>();
            // One detractor so far: NPS -100.
            await api.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses", new { score = 2 });
            // The public page carries the company's name (the help-centre settings), not PSM's own wording.
            (await api.PutAsJsonAsync("/api/v1/help-centre/settings", new { companyName = "Northwind Cloud", accentColour = "#0b6e4f" })).EnsureSuccessStatusCode();
            using var lead = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
            (await lead.PutAsync("/api/v1/help-centre/logo", new ByteArrayContent(Images.Logo) { Headers = { ContentType = new("image/png") } })).EnsureSuccessStatusCode();

            // A visitor on a phone, not signed in.
            var phone = await browser.Browser.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString(), ViewportSize = new() { Width = 390, Height = 844 } });
            var visitor = await phone.NewPageAsync();
            await visitor.GotoAsync(survey.PublicPath);
            await Expect(visitor.GetByRole(AriaRole.Heading)).ToHaveTextAsync("How likely are you to recommend us?");
            await Expect(visitor.GetByTestId("public-brand")).ToContainTextAsync("Northwind Cloud");
            // The company's logo, loaded (the content policy allows only the app's own images): 96 px wide as uploaded.
            await Expect(visitor.GetByTestId("public-logo")).ToHaveAttributeAsync("alt", "Northwind Cloud logo");
            Assert.Equal(96, await visitor.GetByTestId("public-logo").EvaluateAsync<int>("img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"));
            await Expect(visitor.Locator("body")).Not.ToContainTextAsync("Product Service Management");
            await visitor.GetByTestId("survey-submit").ClickAsync();
            await Expect(visitor.GetByTestId("survey-error")).ToContainTextAsync("Choose a score");
            await visitor.GetByText("10", new() { Exact = true }).ClickAsync();
            await visitor.GetByLabel("What is the main reason?").FillAsync("Support answered in minutes, excellent!");
            await visitor.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "public-survey-phone.png"), FullPage = true });
            await visitor.GetByTestId("survey-submit").ClickAsync();
            await Expect(visitor.GetByTestId("survey-thanks")).ToBeVisibleAsync();
            await visitor.GotoAsync("/s/not-a-real-token");
            await Expect(visitor.GetByTestId("survey-unknown")).ToBeVisibleAsync();
            await phone.DisposeAsync();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Surveys");
            await page.GetByRole(AriaRole.Link, new() { Name = "Relationship NPS" }).ClickAsync();
            await session.WaitUntilInteractiveAsync();
            // One promoter and one detractor: 0.
            await Expect(page.GetByTestId("survey-score")).ToHaveTextAsync("0.0");
            await Expect(page.GetByTestId("survey-margin")).ToContainTextAsync("2 answers");
            await Expect(page.GetByText("Support answered in minutes, excellent!")).ToBeVisibleAsync();
            await session.ScreenshotAsync("results");

            await page.GetByTestId("close-survey").ClickAsync();
            await Expect(page.GetByTestId("survey-status")).ToHaveTextAsync("Closed");
            var again = await browser.Browser.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString() });
            var late = await again.NewPageAsync();
            await late.GotoAsync(survey.PublicPath);
            await Expect(late.GetByTestId("survey-closed")).ToBeVisibleAsync();
            await again.DisposeAsync();
        });
    }

    [Fact]
    public async Task TriagesFeedbackIntoAnInitiativeWithTheKeyboardAndSeesItAsEvidence()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var customer = await (await api.PostAsJsonAsync("/api/v1/customers",
                new { name = "Acme Retail", email = "ops@acme.example", country = "DE", plan = "Pro" })).ReadAsync<CustomerDto>();
            await Purchases.BuyAsync(api, customer.Id, 42_000);
            var initiative = await (await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Offline mode for the mobile app" })).ReadAsync<InitiativeDto>();
            await api.PostAsJsonAsync("/api/v1/themes", new { name = "Mobile app", keywords = new[] { "mobile", "offline" } });
            await api.PostAsJsonAsync("/api/v1/feedback", new { text = "Please add dark mode", channel = "InApp" });
            await api.PostAsJsonAsync("/api/v1/feedback",
                new { text = "The mobile app loses my notes when I am offline, terrible", channel = "SupportTicket", customerId = customer.Id });

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Feedback inbox");
            await Expect(page.GetByTestId("feedback-count")).ToHaveTextAsync("2 items");
            var newest = page.GetByTestId("feedback-item").First;
            await Expect(newest).ToContainTextAsync("loses my notes");
            await Expect(newest).ToContainTextAsync("Mobile app"); // tagged on arrival
            await Expect(newest.GetByTestId("sentiment")).ToHaveTextAsync("Negative");

            // Tag the dark-mode request by hand with the keyboard, then take the tag off again.
            await page.GetByTestId("bulk-bar").GetByLabel("Theme").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Mobile app" }).ClickAsync();
            await page.GetByTestId("feedback-list").FocusAsync();
            await page.Keyboard.PressAsync("j");
            await page.Keyboard.PressAsync("t");
            await Expect(page.GetByText("Tagged 1 item.")).ToBeVisibleAsync();
            var darkMode = page.GetByTestId("feedback-item").Filter(new() { HasText = "Please add dark mode" });
            await Expect(darkMode.GetByTestId("theme-chip")).ToHaveTextAsync("Mobile app");
            await darkMode.Locator(".mud-chip-close-button").ClickAsync();
            await Expect(darkMode.GetByTestId("theme-chip")).ToHaveCountAsync(0);
            await page.GetByTestId("feedback-list").FocusAsync();
            await page.Keyboard.PressAsync("k");

            await page.GetByTestId("bulk-bar").GetByLabel("Initiative").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Offline mode for the mobile app" }).ClickAsync();
            await page.GetByTestId("bulk-bar").GetByLabel("Importance").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Critical" }).ClickAsync();
            await Expect(page.GetByTestId("bulk-bar")).ToContainTextAsync("Critical"); // the server has the choice before the key is pressed
            await page.GetByTestId("feedback-list").FocusAsync();
            await page.Keyboard.PressAsync("l"); // link the current (first) item
            await Expect(page.GetByText("Linked 1 item to the initiative.")).ToBeVisibleAsync();
            // Linked items leave the inbox; the dark-mode request is now the current item.
            await Expect(page.GetByTestId("feedback-count")).ToHaveTextAsync("1 items");
            await session.ScreenshotAsync("inbox");
            await page.Keyboard.PressAsync("c");
            await Expect(page.GetByText("Closed 1 item.")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("feedback-count")).ToHaveTextAsync("0 items");

            await page.GetByTestId("view").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Linked to an initiative" }).ClickAsync();
            await Expect(page.GetByTestId("feedback-item")).ToContainTextAsync("→ Offline mode for the mobile app (Critical)");

            await page.GotoAsync($"/roadmap/initiatives/{initiative.Summary.Id}");
            await session.WaitUntilInteractiveAsync();
            var evidence = page.GetByTestId("evidence");
            await Expect(evidence.GetByTestId("evidence-summary")).ToContainTextAsync("1 item from 1 customer with a combined lifetime value of 42,000 EUR");
            await Expect(evidence.GetByTestId("evidence-quote")).ToContainTextAsync("Acme Retail");
            await Expect(evidence).ToContainTextAsync("Mobile app · 1");
            await session.ScreenshotAsync("evidence");
        });
    }

    [Fact]
    public async Task ImportsFeedbackWithAColumnMappingAndReportsTheBadRow()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            var file = Path.Combine(Path.GetTempPath(), $"feedback-{Guid.NewGuid():N}.csv");
            await File.WriteAllLinesAsync(file, ["Said,Where,Ref", "\"Slow, very slow dashboard\",Email,x-1", "Love the reports,Carrier pigeon,x-2", "Great support,Interview,x-3"]);

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Feedback inbox");
            await page.GetByTestId("import-feedback").ClickAsync();
            await page.GetByRole(AriaRole.Dialog).Locator("input[type=file]").SetInputFilesAsync(file);
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("text *").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Said" }).ClickAsync();
            await dialog.GetByLabel("channel *").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Where" }).ClickAsync();
            await dialog.GetByLabel("sourceRef").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Ref" }).ClickAsync();
            await session.ScreenshotAsync("mapping");
            await page.GetByTestId("run-import").ClickAsync();
            await Expect(page.GetByTestId("import-report")).ToContainTextAsync("Nothing was imported: 1 row was rejected.");
            await Expect(page.GetByTestId("import-rejected")).ToContainTextAsync("'Carrier pigeon' is not a channel");
            await Expect(page.GetByTestId("import-rejected")).ToContainTextAsync("3");
            await session.ScreenshotAsync("report");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
            await Expect(page.GetByTestId("feedback-count")).ToHaveTextAsync("0 items");

            await page.GetByTestId("import-feedback").ClickAsync();
            await page.GetByRole(AriaRole.Dialog).Locator("input[type=file]").SetInputFilesAsync(file);
            await dialog.GetByLabel("text *").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Said" }).ClickAsync();
            await dialog.GetByLabel("channel *").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Where" }).ClickAsync();
            await page.GetByTestId("import-valid-rows").ClickAsync();
            await page.GetByTestId("run-import").ClickAsync();
            await Expect(page.GetByTestId("import-report")).ToContainTextAsync("Imported 2 of 3 rows.");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
            await Expect(page.GetByTestId("feedback-count")).ToHaveTextAsync("2 items");
            await Expect(page.GetByText("Slow, very slow dashboard")).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task ALargeImportRunsOnTheServerShowsItsProgressAfterTheDialogIsReopenedAndCancelsToNothing()
    {
        await using var session = await Session.StartAsync(browser);
        // Two million answers (62 MB): the server needs far longer to read them than the test needs to cancel, on either
        // engine. The file goes up over HTTP, as an integration would send it, so the time the job runs does not depend on how
        // fast the browser uploads (the dialog's own upload is in the test above).
        var file = Path.Combine(Path.GetTempPath(), $"answers-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(file,
            ["score,respondedAt,externalRef", .. Enumerable.Range(0, 2_000_000).Select(i => $"{i % 11},2026-05-{i % 28 + 1:00}T09:30:00Z,r-{i}")]);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var survey = await (await api.PostAsJsonAsync("/api/v1/surveys", new { name = "Spring NPS", kind = "Nps", question = "Would you recommend us?" }))
                .ReadAsync<SurveyDto>();
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await page.GotoAsync($"/surveys/{survey.Id}");
            await session.WaitUntilInteractiveAsync();

            await using (var upload = File.OpenRead(file))
            {
                var started = await api.PostAsync($"/api/v1/imports/surveys/{survey.Id}/responses",
                    new StreamContent(upload) { Headers = { ContentType = new("text/csv") } });
                Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            }

            // The dialog finds the running job by itself and shows how far it has read.
            await page.GetByTestId("import-responses").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(page.GetByTestId("import-progress")).ToContainTextAsync("rows read", new() { Timeout = 60_000 });
            await session.ScreenshotAsync("import-running");

            // Closed while it runs: the job goes on, and the dialog finds it again.
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
            await Expect(dialog).ToHaveCountAsync(0);
            await page.GetByTestId("import-responses").ClickAsync();
            await Expect(page.GetByTestId("import-progress")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"[1-9][\d,]* rows read"));

            await page.GetByTestId("import-cancel").ClickAsync();
            await Expect(page.GetByTestId("import-report")).ToContainTextAsync("Cancelled, so nothing was imported.", new() { Timeout = 30_000 });
            var jobs = await api.GetFromJsonAsync<List<Psm.Web.Infrastructure.Imports.ImportJobDto>>("/api/v1/imports", Json.Options);
            var job = Assert.Single(jobs!);
            Assert.Equal(Psm.Web.Infrastructure.Imports.ImportJobStatus.Cancelled, job.Status);
            Assert.InRange(job.RowsRead, 1, 1_999_999);
            var results = await api.GetFromJsonAsync<SurveyResultsDto>($"/api/v1/surveys/{survey.Id}/results", Json.Options);
            Assert.Equal(0L, results!.Overall?.Responses ?? 0);
        });
        File.Delete(file);
    }

    [Fact]
    public async Task TheDemoShowsAYearOfAnswersWithATrendAndRisingThemes()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Surveys");
            await page.GetByRole(AriaRole.Link, new() { Name = "Helpdesk relationship NPS" }).ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("survey-margin")).ToContainTextAsync("answers");
            await Expect(page.Locator(".mud-chart-line").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("demo-survey");

            await session.NavigateAsync("Analysis");
            await Expect(page.GetByTestId("rising")).ToContainTextAsync("Mobile app");
            // Demand weighted by revenue: themes ranked by the MRR of the customers asking, with the definition stated.
            await Expect(page.GetByTestId("demand-themes").GetByTestId("demand-row")).ToHaveCountAsync(7);
            await Expect(page.GetByTestId("demand")).ToContainTextAsync("subscriptions running today");
            await session.ScreenshotAsync("demo-analysis");

            await session.NavigateAsync("Segments");
            await Expect(page.GetByTestId("segments")).ToContainTextAsync("Enterprise accounts");
            await session.ScreenshotAsync("demo-segments");
            await session.NavigateAsync("Personas");
            await Expect(page.GetByTestId("persona")).ToHaveCountAsync(4);
            await session.ScreenshotAsync("demo-personas");
            await session.NavigateAsync("Journey maps");
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Dana buys and renews Helpdesk" })).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Marco's working day with Field Service" }).ClickAsync();
            await session.WaitUntilInteractiveAsync();
            var use = page.GetByTestId("stage").Filter(new() { HasText = "Use" });
            await Expect(use.GetByTestId("touchpoint").Filter(new() { HasText = "Writes job notes in a basement" })).ToContainTextAsync("Pain: The app loses notes without signal");
            await Expect(use.GetByTestId("stage-stats")).ToContainTextAsync("sentiment -");
            await session.ScreenshotAsync("demo-journey");
            await session.NavigateAsync("Feedback inbox");
            await Expect(page.GetByTestId("feedback-item").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("demo-inbox");
        });
    }

    [Fact]
    public async Task ASavedDefaultViewOpensTheFeedbackInboxOnItsFilters()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            (await api.PostAsJsonAsync("/api/v1/feedback", new { text = "The weekly digest mail arrives twice", channel = "Email" })).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/api/v1/feedback", new { text = "Dark mode makes the charts unreadable", channel = "InApp" })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await page.GotoAsync("/feedback?channel=Email&view=all");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.Locator("body")).ToContainTextAsync("The weekly digest mail arrives twice");
            await Expect(page.Locator("body")).Not.ToContainTextAsync("Dark mode makes the charts unreadable");
            await page.GetByTestId("views-menu").ClickAsync();
            await page.GetByTestId("save-view").ClickAsync();
            await page.GetByTestId("view-name").FillAsync("Mail");
            await page.GetByTestId("view-default").CheckAsync();
            await page.GetByTestId("save-view-confirm").ClickAsync();
            await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Saved the view “Mail”");

            await page.GotoAsync("/feedback");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("views-menu")).ToContainTextAsync("View: Mail");
            await Expect(page.Locator("body")).ToContainTextAsync("The weekly digest mail arrives twice");
            await Expect(page.Locator("body")).Not.ToContainTextAsync("Dark mode makes the charts unreadable");
            await Expect(page.GetByTestId("export-feedback")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("channel=Email"));
        });
    }
}
