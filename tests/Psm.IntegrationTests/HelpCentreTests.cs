using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.HelpCentre;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.IntegrationTests;

/// <summary>The help centre over HTTP: what the public may see, what Markdown may do, where readers' comments go, and revisions.</summary>
public sealed class HelpCentreTests
{
    private static async Task<(PsmServer App, HttpClient Lead)> ServerAsync()
    {
        var app = new PsmServer(new() { ["Sla:MonitorSeconds"] = "0" });
        return (app, await app.ClientFor(PsmServer.EmailOf(Roles.SupportLead)));
    }

    [Fact]
    public async Task DraftsAndArchivedArticlesAreNeverPublicAndPublishingShowsAnArticleAtOnce()
    {
        var (app, lead) = await ServerAsync();
        await using var _ = app;
        using var anonymous = app.Anonymous();
        var created = await lead.PostAsJsonAsync("/api/v1/articles", new { title = "Rotate your API keys", body = "Open **Settings › API keys** and choose Rotate.", tags = new[] { "security", "api" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var draft = await created.ReadAsync<ArticleDto>();
        Assert.Equal(("rotate-your-api-keys", ArticleStatus.Draft, 1), (draft.Slug, draft.Status, draft.Revision));

        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/api/v1/public/help/articles/rotate-your-api-keys")).StatusCode);
        Assert.Empty((await anonymous.GetFromJsonAsync<List<PublicArticleHit>>("/api/v1/public/help/articles?q=rotate%20keys", Json.Options))!);
        Assert.DoesNotContain("Rotate your API keys", await anonymous.GetStringAsync("/help?q=rotate"));
        Assert.Contains("not here", await anonymous.GetStringAsync("/help/rotate-your-api-keys"));

        // An agent writes but does not publish; a lead publishes.
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync($"/api/v1/articles/{draft.Id}/publish", new { version = draft.Version })).StatusCode);
        var published = await (await lead.PostAsJsonAsync($"/api/v1/articles/{draft.Id}/publish", new { version = draft.Version })).ReadAsync<ArticleDto>();
        Assert.Equal(ArticleStatus.Published, published.Status);
        var hit = Assert.Single((await anonymous.GetFromJsonAsync<List<PublicArticleHit>>("/api/v1/public/help/articles?q=how%20do%20I%20rotate%20keys", Json.Options))!);
        Assert.Equal("rotate-your-api-keys", hit.Slug);
        Assert.Contains("Rotate your API keys", await anonymous.GetStringAsync("/help?q=rotate"));
        var read = await anonymous.GetFromJsonAsync<PublicArticleDto>("/api/v1/public/help/articles/rotate-your-api-keys", Json.Options);
        Assert.Contains("<strong>Settings › API keys</strong>", read!.Html);

        // Archived: gone from the public side again, kept for staff.
        await lead.PostAsJsonAsync($"/api/v1/articles/{draft.Id}/archive", new { version = published.Version });
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/api/v1/public/help/articles/rotate-your-api-keys")).StatusCode);
        Assert.Equal(ArticleStatus.Archived, (await lead.GetFromJsonAsync<ArticleDto>($"/api/v1/articles/{draft.Id}", Json.Options))!.Status);
        Assert.Equal(1, (await lead.GetFromJsonAsync<ArticleDto>($"/api/v1/articles/{draft.Id}", Json.Options))!.Views);
    }

    [Fact]
    public async Task MarkdownWithScriptIsInertEverywhereItIsShown()
    {
        var (app, lead) = await ServerAsync();
        await using var _ = app;
        using var anonymous = app.Anonymous();
        const string body = "Hello <script>alert('x')</script>\n\n[click me](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n<iframe src=\"https://evil.test\"></iframe>";
        var article = await (await lead.PostAsJsonAsync("/api/v1/articles", new { title = "Script test", body })).ReadAsync<ArticleDto>();
        await lead.PostAsJsonAsync($"/api/v1/articles/{article.Id}/publish", new { version = article.Version });
        foreach (var html in new[]
                 {
                     article.Html, (await anonymous.GetFromJsonAsync<PublicArticleDto>("/api/v1/public/help/articles/script-test", Json.Options))!.Html,
                     await anonymous.GetStringAsync("/help/script-test"),
                 })
        {
            Assert.DoesNotContain("<script>alert", html);
            Assert.DoesNotContain("javascript:alert", html);
            Assert.DoesNotContain("<img", html);
            Assert.DoesNotContain("<iframe", html);
        }

        // The raw HTML is shown as text, so the reader sees what was written.
        Assert.Contains("&lt;script&gt;", article.Html);
    }

    [Fact]
    public async Task AReadersCommentLandsInTheFeedbackInboxWithTheArticlesProductAndEverySaveIsARevision()
    {
        var (app, lead) = await ServerAsync();
        await using var _ = app;
        using var anonymous = app.Anonymous();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Orbit Scheduler", uniqueSellingProposition = "Plans shifts.", description = "Shift planning." }))
            .ReadAsync<Psm.Web.Features.Catalog.ProductDto>();
        var article = await (await lead.PostAsJsonAsync("/api/v1/articles", new { title = "Copy a shift plan", body = "Open the plan and choose Copy week.", productId = product.Id })).ReadAsync<ArticleDto>();

        // Revisions: each save is kept; a save on a stale version is a conflict.
        var second = await (await lead.PutAsJsonAsync($"/api/v1/articles/{article.Id}", new { title = "Copy a shift plan to next week", body = "Open the plan, choose Copy week, pick the target week.", productId = product.Id, version = article.Version }))
            .ReadAsync<ArticleDto>();
        Assert.Equal(2, second.Revision);
        Assert.Equal("copy-a-shift-plan", second.Slug);
        Assert.Equal(HttpStatusCode.Conflict, (await lead.PutAsJsonAsync($"/api/v1/articles/{article.Id}", new { title = "Stale", body = "Written over an old version.", version = article.Version })).StatusCode);
        var revisions = await lead.GetFromJsonAsync<List<ArticleRevisionDto>>($"/api/v1/articles/{article.Id}/revisions", Json.Options);
        Assert.Equal(["Copy a shift plan to next week", "Copy a shift plan"], revisions!.Select(r => r.Title));

        await lead.PostAsJsonAsync($"/api/v1/articles/{article.Id}/publish", new { version = second.Version });
        Assert.Equal(HttpStatusCode.BadRequest, (await anonymous.PostAsJsonAsync("/api/v1/public/help/articles/copy-a-shift-plan/votes", new { comment = "No answer given" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsJsonAsync("/api/v1/public/help/articles/no-such-article/votes", new { helpful = true })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.PostAsJsonAsync("/api/v1/public/help/articles/copy-a-shift-plan/votes", new { helpful = true })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.PostAsJsonAsync("/api/v1/public/help/articles/copy-a-shift-plan/votes",
            new { helpful = false, comment = "It does not say what happens to shifts already planned in the target week." })).StatusCode);

        var inbox = await lead.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback?channel=HelpCentre&limit=50", Json.Options);
        var item = Assert.Single(inbox!.Items);
        Assert.Equal("It does not say what happens to shifts already planned in the target week.", item.Text);
        Assert.Equal(product.Id, item.ProductId);
        var figures = await lead.GetFromJsonAsync<ArticleDto>($"/api/v1/articles/{article.Id}", Json.Options);
        Assert.Equal((1, 1), (figures!.Helpful, figures.NotHelpful));
        Assert.Equal(item.Id, Assert.Single(figures.Comments).FeedbackId);

        // The registry's helpfulness for the product: one of two said yes.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var rate = await lead.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(
            $"/api/v1/metrics/helpcentre.helpful_rate/value?from={today:yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}&productId={product.Id}");
        Assert.Equal(50.0, (double)rate!["value"]!);
    }

    [Fact]
    public async Task TheAssistantAnswersFromPublishedArticlesSaysWhenItDoesNotKnowAndHandsOverToAPersonAsATicket()
    {
        var (app, lead) = await ServerAsync();
        await using var _ = app;
        using var anonymous = app.Anonymous();
        var draft = await (await lead.PostAsJsonAsync("/api/v1/articles", new
        {
            title = "Export invoices to your accounting system", tags = new[] { "invoices", "export" },
            body = "Invoices can be exported every month.\n\nOpen **Billing › Invoices**, choose the month and click **Export CSV**. The file holds one row per invoice with its VAT.",
        })).ReadAsync<ArticleDto>();
        await lead.PostAsJsonAsync("/api/v1/articles", new { title = "Unpublished secret plan", body = "Draft text about invoices that nobody outside may read." });

        // Nothing published yet: the assistant does not know, and the question reaches the inbox.
        var first = await (await anonymous.PostAsJsonAsync("/api/v1/public/help/assistant", new { question = "How do I export invoices to CSV?" })).ReadAsync<AssistantAnswer>();
        Assert.False(first.Answered);
        Assert.Equal(Assistant.NotKnown, first.Text);

        await lead.PostAsJsonAsync($"/api/v1/articles/{draft.Id}/publish", new { version = draft.Version });
        var answer = await (await anonymous.PostAsJsonAsync("/api/v1/public/help/assistant", new { question = "How do I export invoices to CSV?", conversation = first.Conversation }))
            .ReadAsync<AssistantAnswer>();
        Assert.True(answer.Answered);
        Assert.Equal(first.Conversation, answer.Conversation);
        Assert.Equal("export-invoices-to-your-accounting-system", answer.Sources[0].Slug);
        Assert.Contains("Export CSV", answer.PassageHtml);
        Assert.DoesNotContain(answer.Sources, s => s.Title.Contains("secret"));

        var offTopic = await (await anonymous.PostAsJsonAsync("/api/v1/public/help/assistant", new { question = "Which restaurant near the station is open late?", conversation = answer.Conversation }))
            .ReadAsync<AssistantAnswer>();
        Assert.False(offTopic.Answered);
        var inbox = await lead.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback?channel=HelpCentre&limit=50", Json.Options);
        Assert.Equal(["How do I export invoices to CSV?", "Which restaurant near the station is open late?"], inbox!.Items.Select(i => i.Text).Order());

        // A token names one conversation; an unknown one is refused, an invalid question explained.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsJsonAsync("/api/v1/public/help/assistant", new { question = "Anything?", conversation = new string('a', 48) })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsJsonAsync($"/api/v1/public/help/assistant/{new string('b', 48)}/handover", new { name = "Eve", email = "eve@example.test" })).StatusCode);
        var invalid = await anonymous.PostAsJsonAsync($"/api/v1/public/help/assistant/{answer.Conversation}/handover", new { name = "Ruth Okafor", email = "not-an-address" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.True((await invalid.Content.ReadAsStringAsync()).Contains("email", StringComparison.OrdinalIgnoreCase), await invalid.Content.ReadAsStringAsync());

        // A person: a ticket (channel Portal) with the conversation, for a contact with the address; asked twice, the same ticket.
        var handover = await (await anonymous.PostAsJsonAsync($"/api/v1/public/help/assistant/{answer.Conversation}/handover",
            new { name = "Ruth Okafor", email = "Ruth.Okafor@example.test", message = "Our accountant needs the PDF as well." })).ReadAsync<HandoverResult>();
        Assert.Equal("ruth.okafor@example.test", handover.Email);
        var again = await (await anonymous.PostAsJsonAsync($"/api/v1/public/help/assistant/{answer.Conversation}/handover", new { name = "Ruth Okafor", email = "ruth.okafor@example.test" }))
            .ReadAsync<HandoverResult>();
        Assert.Equal(handover.TicketKey, again.TicketKey);
        var ticket = await lead.GetFromJsonAsync<Psm.Web.Features.ServiceDesk.TicketDto>($"/api/v1/tickets/by-key/{handover.TicketKey}", Json.Options);
        Assert.Equal(Psm.Web.Features.ServiceDesk.TicketChannel.Portal, ticket!.Summary.Channel);
        var opening = ticket.Timeline.First(e => e.Kind == Psm.Web.Features.ServiceDesk.TicketEventKind.CustomerMessage).Text;
        Assert.StartsWith("Our accountant needs the PDF as well.", opening);
        Assert.Contains("Visitor: How do I export invoices to CSV?\nAssistant: did not know", opening);
        Assert.Contains("Assistant: answered from “Export invoices to your accounting system”", opening);

        // Staff see the questions; the registry counts them.
        var questions = await lead.GetFromJsonAsync<List<AssistantQuestionDto>>("/api/v1/help-centre/assistant/questions?unanswered=true", Json.Options);
        Assert.Equal(2, questions!.Count);
        Assert.All(questions, q => Assert.Equal(ConversationOutcome.HandedOver, q.Outcome));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        async Task<double?> Metric(string key) =>
            (double?)(await lead.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/v1/metrics/{key}/value?from={today:yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}"))!["value"];
        Assert.Equal(2.0, await Metric("assistant.unanswered_questions"));
        Assert.Equal(100.0, await Metric("assistant.handover_rate"));
        Assert.Equal(0.0, await Metric("assistant.deflection_rate"));
    }

    [Fact]
    public async Task PublicWritesAreRateLimitedPerAddressWithRetryAfter()
    {
        await using var app = new PsmServer(new() { ["Sla:MonitorSeconds"] = "0", ["Surveys:PublicAnswersPerMinute"] = "3" });
        using var anonymous = app.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await anonymous.PostAsJsonAsync("/api/v1/public/help/assistant", new { question = $"Question number {i}" });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        // Reading is limited apart (HelpCentre:ReadsPerMinute): the help centre still opens.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/public/help/shelves")).StatusCode);
    }

    [Fact]
    public async Task ALogoIsCheckedByItsBytesServedToEveryoneAndRemovable()
    {
        var (app, lead) = await ServerAsync();
        await using var _ = app;
        using var anonymous = app.Anonymous();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        HttpContent Image(byte[] bytes, string type = "image/png") => new ByteArrayContent(bytes) { Headers = { ContentType = new(type) } };

        // Refused, each naming the field: not an image (whatever the upload claims), an SVG, too large; and not an agent's to set.
        var svg = System.Text.Encoding.UTF8.GetBytes("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>");
        Assert.Contains("PNG, JPEG or WebP", Assert.Single((await Problems.Errors(await lead.PutAsync("/api/v1/help-centre/logo", Image(svg, "image/png"))))["logo"]));
        var large = new byte[Psm.Web.Features.HelpCentre.HelpCentre.MaxLogoBytes + 1];
        Images.Logo.CopyTo(large, 0);
        Assert.Contains("at most 256 KB", Assert.Single((await Problems.Errors(await lead.PutAsync("/api/v1/help-centre/logo", Image(large))))["logo"]));
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PutAsync("/api/v1/help-centre/logo", Image(Images.Logo))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/brand/logo")).StatusCode);

        // Set: the settings name its address, and anyone gets the same bytes with the type read from them.
        var saved = await (await lead.PutAsync("/api/v1/help-centre/logo", Image(Images.Logo, "image/jpeg"))).ReadAsync<HelpCentreSettingsDto>();
        Assert.StartsWith("/brand/logo?v=", saved.LogoPath);
        var served = await anonymous.GetAsync(saved.LogoPath);
        Assert.Equal("image/png", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Images.Logo, await served.Content.ReadAsByteArrayAsync());
        Assert.Equal(saved.LogoPath, (await lead.GetFromJsonAsync<HelpCentreSettingsDto>("/api/v1/help-centre/settings", Json.Options))!.LogoPath);

        // Removed: gone for everyone.
        Assert.Null((await (await lead.DeleteAsync("/api/v1/help-centre/logo")).ReadAsync<HelpCentreSettingsDto>()).LogoPath);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/brand/logo")).StatusCode);
    }
}
