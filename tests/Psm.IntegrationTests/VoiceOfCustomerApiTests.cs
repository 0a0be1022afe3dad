using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.IntegrationTests;

public sealed class VoiceOfCustomerApiTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task<CustomerDto> Customer(HttpClient client, string name, string plan = "Pro", decimal value = 0, bool profiling = true, Guid? personaId = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/customers",
            new { name, email = $"{name.Replace(" ", "").ToLowerInvariant()}@example.test", country = "DE", plan, personaId });
        var customer = await response.ReadAsync<CustomerDto>();
        if (value > 0)
        {
            await Purchases.BuyAsync(client, customer.Id, value);
        }

        if (profiling)
        {
            (await client.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/consent",
                new { purpose = "Profiling", granted = true, source = "signup form" })).EnsureSuccessStatusCode();
        }

        return customer;
    }

    private static async Task<SurveyDto> Survey(HttpClient client, string kind = "Nps")
    {
        var response = await client.PostAsJsonAsync("/api/v1/surveys",
            new { name = $"{kind} survey", kind, question = "How likely are you to recommend us?", followUpQuestion = "Why?" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<SurveyDto>();
    }

    private static async Task<IReadOnlyDictionary<string, string[]>> Errors(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        // The framework's own validation names fields as the C# property (Text); PSM's checks use the JSON name (text).
        return (await response.ReadAsync<ProblemBody>()).Errors!.ToDictionary(e => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(e.Key), e => e.Value);
    }

    [Fact]
    public async Task ScoresNpsWithItsMarginAndRefusesBadAnswers()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var survey = await Survey(pm);
        var scores = new[] { 10, 9, 8, 7, 3 };
        var customers = new List<CustomerDto>();
        foreach (var (score, i) in scores.Select((s, i) => (s, i)))
        {
            var customer = await Customer(pm, $"Customer {i}");
            customers.Add(customer);
            var answer = await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses",
                new { score, customerId = customer.Id, comment = i == 4 ? "Support was slow and the invoice was wrong" : null });
            Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        }

        var results = await pm.GetFromJsonAsync<SurveyResultsDto>($"/api/v1/surveys/{survey.Id}/results", Json.Options);
        // 2 promoters, 1 detractor of 5: NPS 20. Each answer is +1/0/-1: variance 0.6 - 0.2^2 = 0.56.
        Assert.Equal(20, results!.Overall!.Value, 6);
        Assert.Equal(1.959964 * Math.Sqrt(0.56 / 5) * 100, results.Overall.MarginOfError, 3);
        Assert.Equal(5, results.Overall.Responses);
        Assert.Equal(11, results.Distribution.Count);
        Assert.Equal(1, results.Distribution.Single(d => d.Score == 3).Responses);
        var comment = Assert.Single(results.Comments);
        Assert.Equal(FeedbackChannel.SurveyComment, comment.Channel);
        Assert.Equal(SentimentLabel.Negative, comment.SentimentLabel);

        var window = $"from={Today.AddDays(-1):yyyy-MM-dd}&to={Today.AddDays(1):yyyy-MM-dd}";
        var metric = await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/survey.nps/value?{window}", Json.Options);
        Assert.Equal(20, metric!.Value);

        Assert.Contains("score", (await Errors(await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses", new { score = 11 }))).Keys);
        var duplicate = await Errors(await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses", new { score = 5, customerId = customers[0].Id }));
        Assert.Contains("already answered", duplicate["customerId"][0]);

        // A new wave lets the same customer answer again.
        (await pm.PostAsync($"/api/v1/surveys/{survey.Id}/waves", null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Created,
            (await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses", new { score = 0, customerId = customers[0].Id })).StatusCode);
        var after = await pm.GetFromJsonAsync<SurveyResultsDto>($"/api/v1/surveys/{survey.Id}/results", Json.Options);
        Assert.Equal(0, after!.Overall!.Value, 6); // 2 promoters, 2 detractors of 6
    }

    [Fact]
    public async Task ThePublicLinkWorksWithoutSignInUntilTheSurveyClosesAndIsRateLimited()
    {
        await using var app = new PsmServer(new() { ["Surveys:PublicAnswersPerMinute"] = "4" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var visitor = app.Anonymous();
        var survey = await Survey(pm, "Csat");

        Assert.Equal(HttpStatusCode.NotFound, (await visitor.PostAsJsonAsync("/api/v1/public/surveys/not-a-token/responses", new { score = 5 })).StatusCode);
        var outOfScale = await visitor.PostAsJsonAsync($"/api/v1/public/surveys/{survey.Token}/responses", new { score = 7 });
        Assert.Contains("score", (await Errors(outOfScale)).Keys);
        Assert.Equal(HttpStatusCode.Created,
            (await visitor.PostAsJsonAsync($"/api/v1/public/surveys/{survey.Token}/responses", new { score = 5, comment = "Lovely" })).StatusCode);

        (await pm.PostAsync($"/api/v1/surveys/{survey.Id}/close", null)).EnsureSuccessStatusCode();
        var closed = await Errors(await visitor.PostAsJsonAsync($"/api/v1/public/surveys/{survey.Token}/responses", new { score = 4 }));
        Assert.Contains("closed", closed["survey"][0]);

        // Four requests a minute from one address; the fifth is refused whatever it says.
        Assert.Equal(HttpStatusCode.TooManyRequests,
            (await visitor.PostAsJsonAsync($"/api/v1/public/surveys/{survey.Token}/responses", new { score = 4 })).StatusCode);
        var stored = await pm.GetFromJsonAsync<Page<SurveyResponseDto>>($"/api/v1/surveys/{survey.Id}/responses", Json.Options);
        Assert.Equal(5, Assert.Single(stored!.Items).Score);
    }

    [Fact]
    public async Task FeedbackIsThemedScoredAndBacksAnInitiativeAsEvidence()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var billing = await (await pm.PostAsJsonAsync("/api/v1/themes",
            new { name = "Billing", description = "Invoices and payment", keywords = new[] { "invoic*", "payment", "credit card" } })).ReadAsync<ThemeDto>();
        Assert.Contains("text", (await Errors(await agent.PostAsJsonAsync("/api/v1/feedback", new { text = "  ", channel = "Email" }))).Keys);
        Assert.Contains("channel", (await Errors(await agent.PostAsJsonAsync("/api/v1/feedback", new { text = "Hello" }))).Keys);

        var big = await Customer(pm, "Big Co", value: 50_000);
        var small = await Customer(pm, "Small Co", value: 2_000);
        var first = await (await agent.PostAsJsonAsync("/api/v1/feedback",
            new { text = "The invoicing screen is confusing and my credit card failed", channel = "Email", customerId = big.Id })).ReadAsync<FeedbackDto>();
        var second = await (await agent.PostAsJsonAsync("/api/v1/feedback",
            new { text = "I love the new dashboard, great work!", channel = "InApp", customerId = small.Id })).ReadAsync<FeedbackDto>();
        Assert.Equal(["Billing"], first.Themes.Select(t => t.Name));
        Assert.Equal(SentimentLabel.Negative, first.SentimentLabel);
        Assert.Empty(second.Themes);
        Assert.Equal(SentimentLabel.Positive, second.SentimentLabel);

        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Rebuild billing" })).ReadAsync<InitiativeDto>();
        var link = await agent.PostAsJsonAsync("/api/v1/feedback/triage",
            new { feedbackIds = new[] { first.Id, second.Id }, action = "Link", initiativeId = initiative.Summary.Id, importance = "Critical" });
        Assert.Equal(2, (await link.ReadAsync<TriageResult>()).Updated);
        var evidence = await pm.GetFromJsonAsync<EvidenceSummaryDto>($"/api/v1/initiatives/{initiative.Summary.Id}/evidence", Json.Options);
        Assert.Equal(2, evidence!.Items);
        Assert.Equal(2, evidence.Customers);
        Assert.Equal(52_000m, evidence.CustomerRevenue);
        Assert.Equal(2, evidence.Critical);
        Assert.Equal("Billing", Assert.Single(evidence.Themes).Name);
        var linked = await pm.GetFromJsonAsync<FeedbackDto>($"/api/v1/feedback/{first.Id}", Json.Options);
        Assert.Equal(FeedbackStatus.LinkedToInitiative, linked!.Status);

        // Tagging by hand, and a theme applied to what was stored before it existed.
        var dashboard = await (await pm.PostAsJsonAsync("/api/v1/themes", new { name = "Dashboard", keywords = new[] { "dashboard" } })).ReadAsync<ThemeDto>();
        Assert.Equal(1, (await (await pm.PostAsync($"/api/v1/themes/{dashboard.Id}/apply", null)).ReadAsync<ApplyResult>()).Tagged);
        // The next arrival knows the new theme at once: the kept matcher is rebuilt when a theme is saved.
        var third = await (await agent.PostAsJsonAsync("/api/v1/feedback", new { text = "The dashboard loads slowly on Mondays", channel = "InApp" })).ReadAsync<FeedbackDto>();
        Assert.Equal(["Dashboard"], third.Themes.Select(t => t.Name));
        await agent.PostAsJsonAsync("/api/v1/feedback/triage", new { feedbackIds = new[] { second.Id }, action = "Tag", themeId = billing.Id });
        var retagged = await pm.GetFromJsonAsync<FeedbackDto>($"/api/v1/feedback/{second.Id}", Json.Options);
        Assert.Equal(["Billing", "Dashboard"], retagged!.Themes.Select(t => t.Name));
        Assert.True(retagged.Themes.Single(t => t.Name == "Billing").ByHand);

        // A theme matched at arrival is recorded in the item's own audit entry; tags added later, by hand or by
        // applying a theme to stored feedback, each have an entry of their own.
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var arrival = Assert.Single((await admin.GetFromJsonAsync<Page<Psm.Web.Features.Admin.AuditEntryDto>>(
            $"/api/v1/audit?entity=FeedbackItem&entityKey={first.Id}&action=Created", Json.Options))!.Items);
        Assert.Contains(billing.Id.ToString(), arrival.Changes, StringComparison.OrdinalIgnoreCase);
        var tagEntries = (await admin.GetFromJsonAsync<Page<Psm.Web.Features.Admin.AuditEntryDto>>("/api/v1/audit?entity=FeedbackTheme&action=Created", Json.Options))!.Items;
        Assert.Equal(2, tagEntries.Count);
        Assert.All(tagEntries, e => Assert.StartsWith(second.Id.ToString(), e.EntityKey, StringComparison.OrdinalIgnoreCase));

        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.Forbidden,
            (await stakeholder.PostAsJsonAsync("/api/v1/feedback/triage", new { feedbackIds = new[] { first.Id }, action = "Close" })).StatusCode);
    }

    [Fact]
    public async Task BulkIngestionIsAllOrNothingByDefaultAndNeverDuplicates()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        object Row(string text, string source) => new { text, channel = "ProductReview", sourceRef = source, rating = 4 };
        var batch = new { items = new[] { Row("Great product", "r-1"), Row("", "r-2"), Row("Works well", "r-3") } };

        var refused = await pm.PostAsJsonAsync("/api/v1/feedback/bulk", batch);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var report = await refused.ReadAsync<IngestResult>();
        Assert.Equal(0, report.Created);
        Assert.Equal(2, Assert.Single(report.Rejected).Row);
        Assert.Empty((await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback", Json.Options))!.Items);

        var partial = await (await pm.PostAsJsonAsync("/api/v1/feedback/bulk?allOrNothing=false", batch)).ReadAsync<IngestResult>();
        Assert.Equal(2, partial.Created);
        Assert.Single(partial.Rejected);
        var again = await (await pm.PostAsJsonAsync("/api/v1/feedback/bulk?allOrNothing=false", batch)).ReadAsync<IngestResult>();
        Assert.Equal(0, again.Created);
        Assert.Equal(2, again.Duplicates);
        Assert.Equal(2, (await pm.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback", Json.Options))!.Items.Count);
    }

    [Fact]
    public async Task ResultsBreakDownBySegmentAndPersonaOverTheAnsweringCustomersWhoConsented()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var persona = await (await pm.PostAsJsonAsync("/api/v1/personas", new { name = "Operations lead", description = "Runs the day-to-day." })).ReadAsync<PersonaDto>();
        var proWithPersona = await Customer(pm, "Alder", "Pro", personaId: persona.Id);
        var pro = await Customer(pm, "Beech", "Pro");
        var proSilent = await Customer(pm, "Cedar", "Pro", profiling: false, personaId: persona.Id);
        var basicWithPersona = await Customer(pm, "Dogwood", "Basic", personaId: persona.Id);
        var proSegment = await (await pm.PostAsJsonAsync("/api/v1/segments", new { name = "Pro plan", rules = new { plans = new[] { "Pro" } } })).ReadAsync<SegmentDto>();
        var basicSegment = await (await pm.PostAsJsonAsync("/api/v1/segments", new { name = "Basic plan", rules = new { plans = new[] { "Basic" } } })).ReadAsync<SegmentDto>();
        var survey = await Survey(pm);
        foreach (var (customer, score) in new (CustomerDto? Customer, int Score)[] { (proWithPersona, 10), (pro, 3), (proSilent, 10), (basicWithPersona, 9), (null, 0) })
        {
            var answer = await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses", new { score, customerId = customer?.Id });
            Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
        }

        var results = (await pm.GetFromJsonAsync<SurveyResultsDto>($"/api/v1/surveys/{survey.Id}/results", Json.Options))!;
        // Five answers: promoters Alder, Cedar, Dogwood; detractors Beech and the anonymous 0: NPS 20.
        Assert.Equal(20.0, results.Overall!.Value, 6);
        Assert.Equal(5L, results.Overall.Responses);
        Assert.Equal(2, results.Distribution.Single(d => d.Score == 10).Responses);
        // Pro members who consented: Alder (10) and Beech (3): NPS 0 over two answers; Cedar did not consent.
        var proRow = results.BySegment.Single(r => r.Id == proSegment.Id);
        Assert.Equal((0.0, 2L), (proRow.Estimate!.Value, proRow.Estimate.Responses));
        // Month by month: every answer fell in this month, so that month alone has a score, the same with the same margin.
        var month = Assert.Single(proRow.Trend!, t => t.Estimate is not null);
        Assert.Equal(new DateOnly(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1), month.Period);
        Assert.Equal((proRow.Estimate.Value, proRow.Estimate.MarginOfError, 2L), (month.Estimate!.Value, month.Estimate.MarginOfError, month.Estimate.Responses));
        Assert.Equal(12, proRow.Trend!.Count);
        Assert.Equal((100.0, 1L), (results.BySegment.Single(r => r.Id == basicSegment.Id).Estimate!.Value, results.BySegment.Single(r => r.Id == basicSegment.Id).Estimate!.Responses));
        // The persona, over customers who consented to profiling: Alder and Dogwood, not Cedar.
        var personaRow = Assert.Single(results.ByPersona);
        Assert.Equal((persona.Id, 100.0, 2L), (personaRow.Id, personaRow.Estimate!.Value, personaRow.Estimate.Responses));
    }

    [Fact]
    public async Task SegmentsCountOnlyConsentedCustomersAndWithdrawalTakesEffectAtOnce()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var consenting = await Customer(pm, "Pro One", "Pro", 5_000);
        await Customer(pm, "Pro Two", "Pro", 20_000);
        await Customer(pm, "Pro Silent", "Pro", 6_000, profiling: false);
        await Customer(pm, "Basic One", "Basic", 7_000);

        var bad = await Errors(await pm.PostAsJsonAsync("/api/v1/segments",
            new { name = "Odd", rules = new { minLifetimeValue = 10, maxLifetimeValue = 5 } }));
        Assert.Contains("rules.maxLifetimeValue", bad.Keys);

        var segment = await (await pm.PostAsJsonAsync("/api/v1/segments",
            new { name = "Pro under 10k", rules = new { plans = new[] { "Pro" }, maxLifetimeValue = 10_000 } })).ReadAsync<SegmentDto>();
        Assert.Equal(1, segment.Members);
        Assert.Equal(1, segment.LeftOutWithoutConsent);

        var survey = await Survey(pm);
        await pm.PostAsJsonAsync($"/api/v1/surveys/{survey.Id}/responses", new { score = 10, customerId = consenting.Id });
        var window = $"from={Today.AddDays(-1):yyyy-MM-dd}&to={Today.AddDays(1):yyyy-MM-dd}";
        Assert.Equal(100, (await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/survey.nps/value?{window}&segment={segment.Id}", Json.Options))!.Value);

        var withdrawn = await (await pm.PostAsJsonAsync($"/api/v1/customers/{consenting.Id}/consent",
            new { purpose = "Profiling", granted = false, source = "support request" })).ReadAsync<ConsentStateDto>();
        Assert.False(withdrawn.Profiling);
        Assert.Equal([false, true], withdrawn.History.Select(h => h.Granted));
        Assert.Equal(0, (await pm.GetFromJsonAsync<SegmentDto>($"/api/v1/segments/{segment.Id}", Json.Options))!.Members);
        Assert.Null((await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/survey.nps/value?{window}&segment={segment.Id}", Json.Options))!.Value);
        Assert.Contains("segment", (await Errors(await pm.GetAsync($"/api/v1/metrics/survey.nps/value?{window}&segment=nope"))).Keys);
    }

    [Fact]
    public async Task CustomersKeepTheirContacts()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        var customer = await Customer(agent, "Contact Co");
        var added = await agent.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/contacts", new { name = "Ana Ops", email = "ana@contact.example" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var contact = await added.ReadAsync<ContactDto>();
        Assert.Contains("email", (await Errors(await agent.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/contacts",
            new { name = "Ana again", email = "ana@contact.example" }))).Keys);
        Assert.Contains("email", (await Errors(await agent.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/contacts",
            new { name = "No mail", email = "nope" }))).Keys);
        Assert.Equal(HttpStatusCode.NotFound,
            (await agent.PostAsJsonAsync($"/api/v1/customers/{Guid.NewGuid()}/contacts", new { name = "X", email = "x@example.com" })).StatusCode);
        Assert.Equal(["Ana Ops"], (await agent.GetFromJsonAsync<List<ContactDto>>($"/api/v1/customers/{customer.Id}/contacts", Json.Options))!.Select(c => c.Name));
        Assert.Equal(HttpStatusCode.NoContent, (await agent.DeleteAsync($"/api/v1/customers/{customer.Id}/contacts/{contact.Id}")).StatusCode);
        Assert.Empty((await agent.GetFromJsonAsync<List<ContactDto>>($"/api/v1/customers/{customer.Id}/contacts", Json.Options))!);
    }

    [Fact]
    public async Task ATamperedCursorOrAMissingListIsAFieldErrorNotACrash()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var foreign = PageRequest.Encode(["not a time", "not an id"]);
        Assert.Contains("cursor", (await Errors(await pm.GetAsync($"/api/v1/feedback?cursor={foreign}"))).Keys);
        var survey = await Survey(pm);
        Assert.Contains("cursor", (await Errors(await pm.GetAsync($"/api/v1/surveys/{survey.Id}/responses?cursor={foreign}"))).Keys);
        Assert.Contains("keywords", (await Errors(await pm.PostAsJsonAsync("/api/v1/themes", new { name = "Empty", keywords = (string[]?)null }))).Keys);
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Anything" })).ReadAsync<InitiativeDto>();
        var none = await pm.PutAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/key-results", new { keyResultIds = (Guid[]?)null });
        Assert.Equal(HttpStatusCode.OK, none.StatusCode); // no list means none expected
        Assert.Empty((await none.ReadAsync<ReleaseImpactDto>()).KeyResults);
    }
}
