using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class RoadmapHistoryTests(BrowserFixture browser)
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task DragsATimelineBarsEndAndTheNewDateStays()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var first = await (await api.PostAsJsonAsync("/api/v1/initiatives",
                new { title = "Sync service", plannedStart = Today.AddDays(-20), plannedEnd = Today.AddDays(10) })).ReadAsync<InitiativeDto>();
            await (await api.PostAsJsonAsync("/api/v1/initiatives",
                new { title = "Offline notes", plannedStart = Today.AddDays(5), plannedEnd = Today.AddDays(40), dependsOn = new[] { first.Summary.Id } })).ReadAsync<InitiativeDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Timeline");
            var bar = page.Locator("[data-testid=bar][data-title='Offline notes']");
            await Expect(bar).ToHaveAttributeAsync("data-early", "true"); // starts before "Sync service" ends
            await Expect(page.GetByTestId("dependency")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("today")).ToHaveCountAsync(1);
            await page.GetByTestId("scale").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Weeks" }).ClickAsync();
            await session.ScreenshotAsync("before");

            // Weeks are 10 px a day: drag the start 100 px right, ten days later.
            var handle = await bar.GetByTestId("bar-start").BoundingBoxAsync();
            await page.Mouse.MoveAsync(handle!.X + (handle.Width / 2), handle.Y + (handle.Height / 2));
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(handle.X + (handle.Width / 2) + 50, handle.Y + (handle.Height / 2), new() { Steps = 5 });
            await page.Mouse.MoveAsync(handle.X + (handle.Width / 2) + 100, handle.Y + (handle.Height / 2), new() { Steps = 5 });
            await page.Mouse.UpAsync();
            var newStart = Today.AddDays(15).ToString("yyyy-MM-dd");
            await Expect(bar).ToHaveAttributeAsync("data-start", newStart);
            await Expect(bar).ToHaveAttributeAsync("data-early", "false");
            await session.ScreenshotAsync("after");

            await page.ReloadAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.Locator("[data-testid=bar][data-title='Offline notes']")).ToHaveAttributeAsync("data-start", newStart);
        });
    }

    [Fact]
    public async Task RunsAReviewAndComparesItWithThePreviousOne()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var keep = await (await api.PostAsJsonAsync("/api/v1/initiatives",
                new { title = "Routing rules", plannedStart = Today, plannedEnd = Today.AddDays(30) })).ReadAsync<InitiativeDto>();
            await api.PostAsJsonAsync("/api/v1/roadmap/reviews", new { title = "Last quarter's review", heldOn = Today.AddDays(-90) });
            await api.PutAsJsonAsync($"/api/v1/initiatives/{keep.Summary.Id}/schedule", new { plannedStart = Today.AddDays(7), plannedEnd = Today.AddDays(45) });
            await api.PostAsJsonAsync("/api/v1/initiatives", new { title = "Help centre" });

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Reviews");
            await page.GetByTestId("hold-review").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Title").FillAsync("This quarter's review");
            await dialog.GetByLabel("Decisions").FillAsync("Start the help centre next.");
            await page.GetByTestId("save-review").ClickAsync();

            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This quarter's review" })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("review-decisions")).ToHaveTextAsync("Start the help centre next.");
            await Expect(page.GetByTestId("snapshot")).ToContainTextAsync("Help centre");
            // Compared with the previous review straight away.
            var compare = page.GetByTestId("compare");
            await Expect(compare.GetByTestId("diff-group").Filter(new() { HasText = "Added" })).ToHaveTextAsync("Added (1)");
            await Expect(compare).ToContainTextAsync("Moved in time (1)");
            await Expect(compare.GetByTestId("diff-change").Filter(new() { HasText = "Routing rules" })).ToContainTextAsync("dates");
            await Expect(compare.GetByTestId("diff-change").Filter(new() { HasText = "Help centre" })).ToContainTextAsync("(as Idea)");

            await page.GetByTestId("action-text").FillAsync("Brief support on the help centre");
            await page.GetByTestId("action-owner").FillAsync("Sam");
            await page.GetByTestId("add-action").ClickAsync();
            await Expect(page.GetByTestId("action-item")).ToContainTextAsync("Brief support on the help centre — Sam");
            await session.ScreenshotAsync("review");
        });
    }

    [Fact]
    public async Task SharesAReadOnlyLinkThatStopsWorkingWhenRevoked()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            var planned = await (await api.PostAsJsonAsync("/api/v1/initiatives",
                new { title = "Self-service billing", plannedStart = Today, plannedEnd = Today.AddDays(30) })).ReadAsync<InitiativeDto>();
            await api.PutAsJsonAsync($"/api/v1/initiatives/{planned.Summary.Id}/scores", new { reach = 10, impact = 2, confidence = 80, effort = 1 });
            await api.PostAsJsonAsync($"/api/v1/initiatives/{planned.Summary.Id}/status", new { status = "Planned" });

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("Sharing");
            await page.GetByTestId("new-share").ClickAsync();
            await page.GetByRole(AriaRole.Dialog).GetByLabel("Title the reader sees").FillAsync("Roadmap for partners");
            await page.GetByTestId("save-share").ClickAsync();
            var link = page.GetByTestId("share-link");
            var href = await link.GetAttributeAsync("href");

            var outside = await browser.Browser.NewContextAsync(new() { BaseURL = session.Server.BaseAddress.ToString() });
            var reader = await outside.NewPageAsync();
            await reader.GotoAsync(href!);
            await Expect(reader.GetByTestId("share-title")).ToHaveTextAsync("Roadmap for partners");
            await Expect(reader.GetByTestId("share-initiative")).ToContainTextAsync("Self-service billing");
            await Expect(reader.GetByTestId("share-initiative")).Not.ToContainTextAsync("RICE");
            await reader.ScreenshotAsync(new() { Path = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, "shared-roadmap.png"), FullPage = true });

            await page.GetByTestId("revoke-share").ClickAsync();
            await Expect(page.GetByTestId("shares")).ToContainTextAsync("Revoked");
            await reader.ReloadAsync();
            await Expect(reader.GetByTestId("share-unknown")).ToBeVisibleAsync();
            await outside.DisposeAsync();
        });
    }
}
