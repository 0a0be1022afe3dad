using System.Net;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class ApiKeyTests(BrowserFixture browser)
{
    [Fact]
    public async Task CreatesAKeyThatWorksUntilItIsRevoked()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await session.NavigateAsync("My API keys");
            await session.WaitUntilInteractiveAsync();

            await page.GetByTestId("create-key").ClickAsync();
            await Expect(page.GetByText("Name the key after where it will be used.")).ToBeVisibleAsync();

            await page.GetByLabel("What is it for?").FillAsync("Warehouse sync");
            await page.GetByTestId("create-key").ClickAsync();
            var token = (await page.GetByTestId("new-key-token").TextContentAsync())!.Trim();
            Assert.StartsWith("psm_", token);
            await Expect(page.GetByTestId("keys-table")).ToContainTextAsync("Warehouse sync");
            await session.ScreenshotAsync("created");

            using var client = session.Server.Anonymous();
            client.DefaultRequestHeaders.Add(ApiKey.HeaderName, token);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/customers")).StatusCode);

            await page.ReloadAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("new-key-token")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("keys-table")).Not.ToContainTextAsync("Never");

            await page.GetByTestId("revoke-Warehouse sync").ClickAsync();
            await Expect(page.GetByTestId("keys-table")).ToContainTextAsync("Revoked");
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/customers")).StatusCode);
            await session.ScreenshotAsync("revoked");
        });
    }
}
