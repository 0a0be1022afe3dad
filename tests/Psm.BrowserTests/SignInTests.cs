using System.Text.RegularExpressions;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.Two)]
public sealed class SignInTests(BrowserFixture browser)
{
    [Fact]
    public async Task SignsInReachesTheHomePageAndSignsOut()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await page.GotoAsync("/customers");
            await Expect(page).ToHaveURLAsync(new Regex("/account/sign-in\\?ReturnUrl=%2Fcustomers", RegexOptions.IgnoreCase));
            await session.ScreenshotAsync("sign-in");

            await page.GetByLabel("Email").FillAsync(PsmServer.EmailOf(Roles.Admin));
            await page.GetByLabel("Password").FillAsync(Psm.Web.Data.Demo.DemoData.Password);
            await page.GetByTestId("sign-in").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/customers$"));
            await session.WaitUntilInteractiveAsync();

            await page.GotoAsync("/");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Avery Admin" })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("Avery Admin");
            await Expect(page.GetByTestId("user-count")).ToContainTextAsync("6 users");
            await session.ScreenshotAsync("home");

            // Dark mode is the person's: it survives a reload and signing out and in again.
            var toggle = page.GetByTestId("theme-toggle");
            var light = await Background(page);
            await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
            await toggle.ClickAsync();
            await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");
            Assert.NotEqual(light, await Background(page));
            await session.ScreenshotAsync("home-dark");
            await page.ReloadAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("aria-pressed", "true");
            var dark = await Background(page);
            Assert.NotEqual(light, dark);

            await page.GetByTestId("sign-out").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/account/sign-in\\?signedOut=true"));
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You have signed out.");
            await page.GotoAsync("/");
            await Expect(page).ToHaveURLAsync(new Regex("/account/sign-in"));

            await page.GetByLabel("Email").FillAsync(PsmServer.EmailOf(Roles.Admin));
            await page.GetByLabel("Password").FillAsync(Psm.Web.Data.Demo.DemoData.Password);
            await page.GetByTestId("sign-in").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/$"));
            await session.WaitUntilInteractiveAsync();
            Assert.Equal(dark, await Background(page));
            await page.GetByTestId("theme-toggle").ClickAsync();
            await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("aria-pressed", "false");
            Assert.Equal(light, await Background(page));
        });
    }

    [Fact]
    public async Task ShowsAClearErrorGivenAWrongPassword()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            await session.SignInAsync(PsmServer.EmailOf(Roles.ProductManager), "wrong-password");

            await Expect(session.Page.GetByTestId("sign-in-error")).ToHaveTextAsync(Psm.Web.Features.Account.SignInPage.FailedMessage);
            await Expect(session.Page).ToHaveURLAsync(new Regex("/account/sign-in"));
            await session.ScreenshotAsync("wrong-password");
        });
    }

    [Fact]
    public async Task LocksTheAccountAfterRepeatedFailures()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            for (var attempt = 0; attempt < 5; attempt++)
            {
                await session.SignInAsync(PsmServer.EmailOf(Roles.Marketer), $"wrong-{attempt}");
            }

            await session.SignInAsync(PsmServer.EmailOf(Roles.Marketer));

            // Locked out even with the right password, and told exactly what an unknown address is told.
            await Expect(session.Page.GetByTestId("sign-in-error")).ToHaveTextAsync(Psm.Web.Features.Account.SignInPage.FailedMessage);
            await Expect(session.Page).ToHaveURLAsync(new Regex("/account/sign-in"));
            await session.SignInAsync("nobody@northwind.test");
            await Expect(session.Page.GetByTestId("sign-in-error")).ToHaveTextAsync(Psm.Web.Features.Account.SignInPage.FailedMessage);
        });
    }

    [Fact]
    public async Task KeepsAStakeholderOutOfTheAdminPages()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Stakeholder));
            await Expect(page.GetByTestId("nav")).ToContainTextAsync("Customers");
            await Expect(page.GetByTestId("nav")).Not.ToContainTextAsync("Audit log");
            await page.GotoAsync("/customers");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("customers-table")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("new-customer")).ToHaveCountAsync(0);

            await page.GotoAsync("/admin/users");

            await Expect(page).ToHaveURLAsync(new Regex("/account/access-denied"));
            await Expect(page.GetByTestId("access-denied")).ToBeVisibleAsync();
            await session.ScreenshotAsync("access-denied");
        });
    }

    /// <summary>The page's background colour as the theme sets it.</summary>
    private static Task<string> Background(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim()");
}
