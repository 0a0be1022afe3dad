using System.Net.Http.Json;
using Psm.Web.Features.Chat;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.Two)]
public sealed class ChatTests(BrowserFixture browser)
{
    [Fact]
    public async Task AVisitorAsksTheAssistantThenAPersonAndTheAgentAnswersLiveAndTheChatEndsWithCsatOnItsTicket()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            // The agent opens the chat console and becomes available.
            var agent = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Live chat");
            await agent.GetByText("Not taking chats").ClickAsync();
            await Expect(agent.GetByText("Available for chat")).ToBeVisibleAsync();
            await Expect(agent.GetByTestId("chat-agent").Filter(new() { HasText = "Sam Support" })).ToContainTextAsync("0 of 3 chats");

            // A visitor (another browser context, not signed in) on a page that embeds the widget asks a question.
            await using var outside = await browser.Browser.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 860 } });
            var visitor = await outside.NewPageAsync();
            await visitor.GotoAsync("/chat-demo");
            await visitor.GetByTestId("chat-launcher").ClickAsync();
            await Expect(visitor.GetByTestId("chat-log")).ToContainTextAsync("Northwind Cloud's help centre");
            await visitor.GetByTestId("chat-input").FillAsync("my data sync failed");
            await visitor.GetByTestId("chat-send").ClickAsync();
            var answer = visitor.Locator("[data-testid=chat-line][data-author=Assistant]");
            await Expect(answer).ToContainTextAsync("From “A data sync failed: what to check”");
            await Expect(answer.GetByRole(AriaRole.Link, new() { Name = "Read the article" })).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("/help/a-data-sync-failed-what-to-check$"));
            await visitor.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "Chat-visitor-assistant.png") });

            // The visitor asks for a person: the available agent gets the chat at once.
            await visitor.GetByTestId("chat-person").ClickAsync();
            var form = visitor.GetByTestId("chat-person-form");
            await form.GetByLabel("Your name").FillAsync("Dana Whitfield");
            await form.GetByLabel("Your e-mail").FillAsync("dana.whitfield@example.org");
            await form.GetByRole(AriaRole.Button, new() { Name = "Ask for a person" }).ClickAsync();
            await Expect(visitor.GetByTestId("chat-status")).ToHaveTextAsync("Chatting with Sam Support");
            Assert.Equal("WebSockets", await visitor.Locator("[data-psm-chat]").GetAttributeAsync("data-transport"));

            await Expect(agent.GetByTestId("chat-active").GetByTestId("chat-row")).ToContainTextAsync("Dana Whitfield");
            await Expect(agent.GetByTestId("chat-transcript")).ToContainTextAsync("my data sync failed");
            await Expect(agent.GetByTestId("chat-transcript")).ToContainTextAsync("Sam Support joined the chat.");

            // Real time both ways: the agent types (the visitor sees it) and answers; the visitor answers back.
            await agent.GetByTestId("chat-reply").PressSequentiallyAsync("Hi Dana");
            await Expect(visitor.GetByTestId("chat-typing")).ToHaveTextAsync("Sam Support is typing…");
            await agent.GetByTestId("chat-reply").PressSequentiallyAsync(", is the failing sync the nightly one?");
            await agent.GetByTestId("chat-send").ClickAsync();
            await Expect(visitor.Locator("[data-testid=chat-line][data-author=Agent]")).ToContainTextAsync("Hi Dana, is the failing sync the nightly one?");
            await visitor.GetByTestId("chat-input").PressSequentiallyAsync("Yes <b>nightly</b>, since Monday");
            await Expect(agent.GetByTestId("chat-visitor-typing")).ToHaveTextAsync("Dana Whitfield is typing…");
            await visitor.GetByTestId("chat-send").ClickAsync();
            // Visitors' text is shown as text, never as markup.
            var line = agent.Locator("[data-testid=chat-transcript-line][data-author=Visitor]").Last;
            await Expect(line).ToContainTextAsync("Yes <b>nightly</b>, since Monday");
            Assert.Equal(0, await line.Locator("b").CountAsync());
            await session.ScreenshotAsync("console");
            await visitor.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "Chat-visitor-agent.png") });

            // The agent ends the chat; the widget asks the CSAT question, and the answer lands on the ticket.
            await agent.GetByTestId("chat-end").ClickAsync();
            await Expect(visitor.GetByTestId("chat-csat")).ToBeVisibleAsync();
            await visitor.GetByTestId("chat-score-5").ClickAsync();
            await visitor.GetByTestId("chat-csat").GetByLabel("Comment").FillAsync("Quick and friendly.");
            await visitor.GetByTestId("chat-csat-send").ClickAsync();
            await Expect(visitor.GetByTestId("chat-status")).ToHaveTextAsync("Thank you for your rating");
            await visitor.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "Chat-visitor-csat.png") });
            await Expect(agent.GetByTestId("chat-csat-score")).ToContainTextAsync("5");

            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
            var board = await api.GetFromJsonAsync<ChatBoard>("/api/v1/chats", Json.Options);
            var chat = board!.Recent.First(c => c.Visitor == "Dana Whitfield");
            Assert.Equal(ChatStatus.Ended, chat.Status);
            var ticket = await api.GetFromJsonAsync<Psm.Web.Features.ServiceDesk.TicketDto>($"/api/v1/tickets/{chat.TicketId}", Json.Options);
            Assert.Equal(Psm.Web.Features.ServiceDesk.TicketChannel.Chat, ticket!.Summary.Channel);
            Assert.Equal(Psm.Web.Features.ServiceDesk.TicketStatus.Resolved, ticket.Summary.Status);
            Assert.NotNull(ticket.Summary.FirstResponseAt);
            var timeline = string.Join("\n", ticket.Timeline.Select(e => e.Text));
            Assert.Contains("my data sync failed", timeline);
            Assert.Contains("Hi Dana, is the failing sync the nightly one?", timeline);
            Assert.Contains("Yes <b>nightly</b>, since Monday", timeline);
            Assert.Contains("rated the service 5 of 5", timeline);
            Assert.Equal(5, ticket.SatisfactionScore);
        });
    }
}
