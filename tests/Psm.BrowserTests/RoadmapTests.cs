using System.Net.Http.Json;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.Two)]
public sealed class RoadmapTests(BrowserFixture browser)
{
    [Fact]
    public async Task DragsACardAcrossTheBoardAndTheStatusSurvivesAReload()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            (await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Guided answers" })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Board");
            var card = page.GetByTestId("card-Guided answers");
            await Expect(page.GetByTestId("column-Idea")).ToContainTextAsync("Guided answers");

            await card.DragToAsync(page.GetByTestId("column-Backlog").Locator(".board-zone"));
            await Expect(page.GetByTestId("column-Backlog")).ToContainTextAsync("Guided answers");

            // Planned needs dates: the move is refused and the card stays where it was.
            await card.DragToAsync(page.GetByTestId("column-Planned").Locator(".board-zone"));
            await Expect(page.GetByText("Give Guided answers a planned start and end before it moves to Planned.")).ToBeVisibleAsync();
            await session.ScreenshotAsync("board");

            await page.ReloadAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("column-Backlog")).ToContainTextAsync("Guided answers");
            await Expect(page.GetByTestId("column-Planned")).Not.ToContainTextAsync("Guided answers");
        });
    }

    [Fact]
    public async Task MovesACardWithTheKeyboardAlone()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            (await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Offline mode" })).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Bulk edit" })).EnsureSuccessStatusCode();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Board");
            var board = page.GetByTestId("board");
            await board.FocusAsync();
            await board.PressAsync("?");
            await Expect(page.GetByTestId("board-shortcuts")).ToContainTextAsync("move it to the previous / next status");

            // The keyboard starts on the first card of the first column; j goes down, ] moves it a column and follows it.
            var ideas = page.GetByTestId("column-Idea");
            await Expect(ideas.Locator("[data-current=true]")).ToHaveCountAsync(1);
            var top = await ideas.Locator("[data-current=true] strong").InnerTextAsync();
            await board.PressAsync("j");
            // The page re-renders after the key: read the card once the mark has moved.
            await Expect(ideas.Locator("[data-current=true]")).Not.ToContainTextAsync(top);
            var second = await ideas.Locator("[data-current=true] strong").InnerTextAsync();
            await board.PressAsync("]");
            await Expect(page.GetByTestId("column-Backlog")).ToContainTextAsync(second);
            await Expect(page.GetByTestId("column-Backlog").Locator("[data-current=true]")).ToContainTextAsync(second);

            // Planned needs dates: refused with the reason, as when dragging; [ takes it back; Enter opens the other.
            await board.PressAsync("]");
            await Expect(page.GetByText($"Give {second} a planned start and end before it moves to Planned.")).ToBeVisibleAsync();
            await board.PressAsync("[");
            await Expect(ideas).ToContainTextAsync(second);
            await session.ScreenshotAsync("board-keyboard");
            await board.PressAsync("k");
            await Expect(ideas.Locator("[data-current=true]")).Not.ToContainTextAsync(second);
            var first = await ideas.Locator("[data-current=true] strong").InnerTextAsync();
            Assert.Equal(top, first);
            await board.PressAsync("Enter");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = first })).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task ScoresAnInitiativeAndSeesItRankedWithTheHistoryKept()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var created = await (await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Routing rules" })).ReadAsync<InitiativeDto>();
            var other = await (await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Dark theme" })).ReadAsync<InitiativeDto>();
            await api.PutAsJsonAsync($"/api/v1/initiatives/{other.Summary.Id}/scores", new { reach = 100, impact = 1, confidence = 100, effort = 1 });

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await page.GotoAsync($"/roadmap/initiatives/{created.Summary.Id}");
            await session.WaitUntilInteractiveAsync();
            await page.GetByLabel("Reach / quarter").FillAsync("1000");
            await page.GetByLabel("Impact", new() { Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "2", Exact = true }).ClickAsync();
            await page.GetByLabel("Confidence %").FillAsync("80");
            await page.GetByLabel("Effort (person-months)").FillAsync("0");
            // The field takes its value when it loses focus: leave it first, as a person does before reaching for the button.
            await page.GetByLabel("Effort (person-months)").BlurAsync();
            await page.GetByTestId("save-scores").ClickAsync();
            await Expect(page.GetByTestId("score-error")).ToContainTextAsync("Effort is in person-months and must be more than 0.");

            await page.GetByLabel("Effort (person-months)").FillAsync("4");
            await page.GetByLabel("Effort (person-months)").BlurAsync();
            await page.GetByTestId("save-scores").ClickAsync();
            await Expect(page.GetByTestId("rice-score")).ToHaveTextAsync("400");
            await Expect(page.GetByTestId("score-history")).ToContainTextAsync("400");
            await session.ScreenshotAsync("initiative");

            await page.GotoAsync("/roadmap/prioritisation");
            await session.WaitUntilInteractiveAsync();
            var rows = page.GetByTestId("prioritisation-table").Locator("tbody tr");
            await Expect(rows.First).ToContainTextAsync("Routing rules");
            await Expect(rows.Nth(1)).ToContainTextAsync("Dark theme");
            await session.ScreenshotAsync("prioritisation");
        });
    }
}
