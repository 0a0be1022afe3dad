using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

/// <summary>
/// Every page in the navigation, on the demo company, audited by axe-core (Session.ScreenshotAsync audits each page it
/// saves; a serious or critical violation fails the test), and the app's own page for an address that leads nowhere.
/// </summary>
[Collection(BrowserLanes.One)]
public sealed class AccessibilityTests(BrowserFixture browser)
{
    // The pages a phone user is most likely to open: checked at 390 px as well.
    private static readonly string[] PhonePages = ["/", "/service/queue", "/feedback", "/customers"];

    [Fact]
    public async Task EveryPageInTheNavigationIsAccessibleOnTheDemoCompanyAtDesktopAndPhoneWidths()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Admin));
            // The password and two-step pages are plain forms the account tests audit; opening the two-step page starts an
            // enrolment, which signs the session out a minute later.
            var links = (await page.GetByTestId("nav").Locator("a[href]:not([target='_blank'])").EvaluateAllAsync<string[]>(
                "links => links.map(a => a.getAttribute('href'))")).Where(h => h is not "/account/password" and not "/account/mfa").ToArray();
            Assert.True(links.Length >= 30, $"The admin's navigation has {links.Length} links.");

            // No page is wider than the window at 1366 px: wide content (the board, the timeline, journey stages, wide tables)
            // scrolls inside its own box.
            Assert.Equal(1366, page.ViewportSize!.Width);
            var overflowing = new List<string>();
            foreach (var href in links.Distinct())
            {
                await OpenAsync(session, href);
                await session.ScreenshotAsync("page" + Name(href));
                var extra = await page.EvaluateAsync<int>("() => Math.max(document.documentElement.scrollWidth - document.documentElement.clientWidth, " +
                    "...[...document.querySelectorAll('.mud-main-content')].map(e => e.scrollWidth - e.clientWidth))");
                if (extra > 0)
                {
                    overflowing.Add($"{href} is {extra} px wider than the window");
                }
            }

            Assert.True(overflowing.Count == 0, string.Join("; ", overflowing));

            // At 1366 px the board's eight columns do not all fit: the strip above it names each with its count, and a click
            // brings one scrolled out of view into it. The timeline opens with today in view.
            await OpenAsync(session, "/roadmap");
            var dropped = page.GetByTestId("column-Dropped");
            await Expect(dropped).Not.ToBeInViewportAsync(new() { Ratio = 0.9f });
            foreach (var column in new[] { "Idea", "Backlog", "Planned", "InProgress", "Released", "Measuring", "Done", "Dropped" })
            {
                await Expect(page.GetByTestId("strip-" + column)).ToBeInViewportAsync();
                var count = await page.GetByTestId("column-" + column).Locator(".board-card").CountAsync();
                await Expect(page.GetByTestId("strip-" + column)).ToContainTextAsync(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            await page.GetByTestId("strip-Dropped").ClickAsync();
            await Expect(dropped).ToBeInViewportAsync(new() { Ratio = 0.9f });
            await session.ScreenshotAsync("board-dropped-revealed");
            await OpenAsync(session, "/roadmap/timeline");
            await Expect(page.GetByTestId("today")).ToBeInViewportAsync();

            await page.SetViewportSizeAsync(390, 844);
            foreach (var href in PhonePages)
            {
                await OpenAsync(session, href);
                await session.ScreenshotAsync("phone" + Name(href));
            }
        });
    }

    // The audit every screenshot runs would pass every page if it found nothing: it must name a missing alternative text and
    // unreadable text, and leave out the fading snackbars as it says.
    [Fact]
    public async Task TheAuditNamesAnImageWithoutAlternativeTextAndTextTooPaleToReadButNotASnackbar()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            Assert.Empty(await session.FindViolationsAsync());

            await page.EvaluateAsync("""
                () => document.querySelector('.mud-main-content').insertAdjacentHTML('beforeend',
                  '<img src="/favicon.png" data-probe="image"><p style="color:#ddd;background:#fff" data-probe="pale">Hard to read</p>' +
                  '<div class="mud-snackbar"><img src="/favicon.png" data-probe="snackbar"></div>')
                """);
            var found = await session.FindViolationsAsync();
            var image = Assert.Single(found, v => v.StartsWith("image-alt (critical, 1 nodes)", StringComparison.Ordinal));
            Assert.Contains("data-probe=\"image\"", image);
            var contrast = Assert.Single(found, v => v.StartsWith("color-contrast (serious", StringComparison.Ordinal));
            Assert.Contains("Hard to read", contrast);
            Assert.Contains("insufficient color contrast", contrast);
            Assert.DoesNotContain(found, v => v.Contains("data-probe=\"snackbar\"", StringComparison.Ordinal));
        });
    }

    // Every kind of home (company, support, marketing, stakeholder) is audited where InsightsTests save them.
    [Fact]
    public async Task AnUnknownAddressShowsTheAppsOwnNotFoundPageInsideTheLayout()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            var response = await page.GotoAsync("/roadmap/no-such-page");
            Assert.Equal(404, response!.Status);
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("nav")).ToBeVisibleAsync();
            await session.ScreenshotAsync("not-found");
            await page.GetByRole(AriaRole.Link, new() { Name = "Go to the home page" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(session.Server.BaseAddress.ToString());
        });
    }

    private static async Task OpenAsync(Session session, string href)
    {
        await session.Page.GotoAsync(href);
        // The account pages (password, two-step sign-in) are plain forms in their own layout, never live.
        if (await session.Page.Locator("[data-interactive]").CountAsync() > 0)
        {
            await session.WaitUntilInteractiveAsync();
        }

        // Pages show a named "Loading…" bar until their data is in.
        await Expect(session.Page.Locator("[role=progressbar][aria-label^='Loading']")).ToHaveCountAsync(0);
    }

    private static string Name(string href) => href == "/" ? "-home" : href.Replace('/', '-');
}
