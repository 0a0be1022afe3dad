using System.Net.Http.Json;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class HelpCentreTests(BrowserFixture browser)
{
    [Fact]
    public async Task ALeadPublishesAnArticleAndACustomerOnAPhoneFindsItReadsAnotherAndTheirCommentReachesTheInbox()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportLead));
            await session.NavigateAsync("Help centre");
            await Expect(page.GetByTestId("article-row").First).ToBeVisibleAsync();
            await session.ScreenshotAsync("articles");

            // The company's logo, uploaded on the settings card, shows on the public pages.
            await page.Locator("input[type=file][accept*='.png']").SetInputFilesAsync(new FilePayload { Name = "northwind.png", MimeType = "image/png", Buffer = Images.Logo });
            await Expect(page.GetByTestId("help-logo-preview")).ToBeVisibleAsync();

            // A new article: written as a draft with a live preview, then published.
            await page.GetByTestId("new-article").ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("article-title").FillAsync("Add a second language to the help widget");
            await page.GetByTestId("article-tags").FillAsync("widget, languages");
            await page.GetByTestId("article-body").FillAsync("Open **Settings › Widget** and choose *Add language*.\n\n1. Pick the language.\n2. Translate the greeting.");
            await Expect(page.GetByTestId("article-preview").Locator("strong")).ToHaveTextAsync("Settings › Widget");
            await Expect(page.GetByTestId("article-preview").Locator("ol li")).ToHaveCountAsync(2);
            await page.GetByTestId("save-article").ClickAsync();
            await Expect(page.GetByTestId("article-status")).ToHaveTextAsync("Draft");
            await page.GetByTestId("publish-article").ClickAsync();
            await Expect(page.GetByTestId("article-status")).ToHaveTextAsync("Published");
            await Expect(page.GetByTestId("article-public-link")).ToHaveTextAsync("/help/add-a-second-language-to-the-help-widget");
            await session.ScreenshotAsync("published");

            // A customer on a phone, not signed in: the company's help centre, search, read, "not helpful" with a comment.
            await using var outside = await browser.Browser.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString(), ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true });
            var phone = await outside.NewPageAsync();
            await phone.GotoAsync("/help");
            await Expect(phone.GetByTestId("help-company-name")).ToHaveTextAsync("Northwind Cloud");
            Assert.Equal(96, await phone.GetByTestId("help-logo").EvaluateAsync<int>("img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"));
            await Expect(phone.GetByTestId("help-shelf").First).ToBeVisibleAsync();
            await phone.GetByTestId("help-search-box").FillAsync("second language widget");
            await phone.GetByTestId("help-search-button").ClickAsync();
            await Expect(phone.GetByTestId("help-result").First).ToContainTextAsync("Add a second language to the help widget");
            await phone.GetByTestId("help-search-box").FillAsync("my data sync failed");
            await phone.GetByTestId("help-search-button").ClickAsync();
            await Expect(phone.GetByTestId("help-result").First).ToContainTextAsync("A data sync failed: what to check");
            await phone.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "HelpCentre-phone-search.png"), FullPage = true });
            await phone.GetByTestId("help-result").First.GetByRole(AriaRole.Link).ClickAsync();
            await Expect(phone.GetByTestId("help-article").Locator("h1")).ToHaveTextAsync("A data sync failed: what to check");
            // Nothing is wider than the phone's screen.
            Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "The article page scrolls sideways on a phone.");
            await phone.GetByTestId("help-comment").FillAsync("My sync fails with 'SSL required' and none of these three cases mention it.");
            await phone.GetByTestId("help-no").ClickAsync();
            await Expect(phone.GetByTestId("help-vote-thanks")).ToBeVisibleAsync();
            await phone.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "HelpCentre-phone-article.png"), FullPage = true });

            // The comment is in the feedback inbox (channel Help centre) and on the article's page for staff.
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
            var inbox = await api.GetFromJsonAsync<Page<FeedbackDto>>("/api/v1/feedback?channel=HelpCentre&limit=50", Json.Options);
            Assert.Contains(inbox!.Items, f => f.Text.Contains("SSL required"));
            await session.NavigateAsync("Help centre");
            await page.GetByRole(AriaRole.Link, new() { Name = "A data sync failed: what to check" }).ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("article-comment").First).ToContainTextAsync("SSL required");
            await session.ScreenshotAsync("reader-comment");

            // On a ticket, the lead finds the article and links it in the reply.
            var ticket = (await api.GetFromJsonAsync<Page<Psm.Web.Features.ServiceDesk.TicketSummary>>("/api/v1/tickets?view=All&limit=1", Json.Options))!.Items.Single();
            await page.GotoAsync($"/service/tickets/{ticket.Id}");
            await session.WaitUntilInteractiveAsync();
            await page.GetByTestId("message").FillAsync("Here is what to check first.");
            await page.GetByTestId("insert-article").FillAsync("data sync failed");
            await page.GetByRole(AriaRole.Option).Filter(new() { HasText = "A data sync failed: what to check" }).First.ClickAsync();
            await Expect(page.GetByTestId("message")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(
                @"^Here is what to check first\.\n\nA data sync failed: what to check: http://\S+/help/a-data-sync-failed-what-to-check$"));
            await session.ScreenshotAsync("article-linked");
        });
    }

    [Fact]
    public async Task AVisitorAsksTheAssistantGetsAnAnswerFromAnArticleThenAsksForAPersonAndTheLeadSeesTheRequest()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            await using var outside = await browser.Browser.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString(), ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true });
            var phone = await outside.NewPageAsync();
            await phone.GotoAsync("/help");
            await phone.GetByTestId("help-ask-question").FillAsync("Our data sync says authentication failed, what do I do?");
            await phone.GetByTestId("help-ask-send").ClickAsync();
            var answer = phone.GetByTestId("help-answer").Last;
            await Expect(answer).ToHaveAttributeAsync("data-answered", "true");
            await Expect(answer).ToContainTextAsync("From “A data sync failed: what to check”");
            await Expect(answer).ToContainTextAsync("the password changed; update it on the source");
            await phone.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "HelpCentre-assistant-answer.png"), FullPage = true });

            // Something no article covers: it says so, and offers a person.
            await phone.GetByTestId("help-ask-question").FillAsync("Can you install the sync agent on our mainframe for us?");
            await phone.GetByTestId("help-ask-send").ClickAsync();
            await Expect(phone.GetByTestId("help-answer")).ToHaveCountAsync(2);
            await Expect(phone.GetByTestId("help-answer").Last).ToHaveAttributeAsync("data-answered", "false");
            await phone.GetByTestId("help-handover-name").FillAsync("Tomás Rivera");
            await phone.GetByTestId("help-handover-email").FillAsync("tomas.rivera@example.test");
            await phone.GetByTestId("help-handover-message").FillAsync("We run z/OS in the data centre.");
            await phone.GetByTestId("help-handover-send").ClickAsync();
            await Expect(phone.GetByTestId("help-handover-done")).ToContainTextAsync("tomas.rivera@example.test");
            var key = System.Text.RegularExpressions.Regex.Match(await phone.GetByTestId("help-handover-done").InnerTextAsync(), @"T-\d+").Value;
            await phone.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "HelpCentre-assistant-handover.png"), FullPage = true });

            // The lead sees the questions and the request, which holds the conversation.
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportLead));
            await session.NavigateAsync("Help centre");
            await Expect(page.GetByTestId("assistant-question").First).ToContainTextAsync("mainframe");
            await Expect(page.GetByTestId("assistant-question").First).ToContainTextAsync("Handed to a person");
            await session.ScreenshotAsync("assistant-questions");
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
            var ticket = await api.GetFromJsonAsync<Psm.Web.Features.ServiceDesk.TicketDto>($"/api/v1/tickets/by-key/{key}", Json.Options);
            await page.GotoAsync($"/service/tickets/{ticket!.Summary.Id}");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByText("We run z/OS in the data centre.")).ToBeVisibleAsync();
            await Expect(page.GetByText("Visitor: Can you install the sync agent on our mainframe for us?", new() { Exact = false })).ToBeVisibleAsync();
            await session.ScreenshotAsync("assistant-ticket");
        });
    }
}
