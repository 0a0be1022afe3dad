using System.Net.Http.Json;
using System.Text.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.One)]
public sealed class WebhookTests(BrowserFixture browser)
{
    [Fact]
    public async Task AnAdminSubscribesAReceiverSeesItsDeliveriesAndTheirAttemptsAndSendsOneAgain()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateAddresses"] = "true", ["Webhooks:PollSeconds"] = "0.3", ["Webhooks:FirstRetrySeconds"] = "0.3",
        });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.Admin));
            await session.NavigateAsync("Webhooks");
            await Expect(page.GetByTestId("no-webhooks")).ToBeVisibleAsync();

            // A bad address is refused in the dialog with the reason.
            await page.GetByTestId("new-webhook").ClickAsync();
            await page.GetByTestId("wh-name").FillAsync("Data warehouse");
            await page.GetByTestId("wh-url").FillAsync("ftp://warehouse");
            await page.GetByTestId("wh-save").ClickAsync();
            await Expect(page.GetByTestId("webhook-error")).ToContainTextAsync("starting with https://");

            await page.GetByTestId("wh-url").FillAsync(receiver.Url);
            await page.GetByTestId("wh-save").ClickAsync();
            var secret = (await page.GetByTestId("webhook-secret").TextContentAsync())!.Trim();
            Assert.StartsWith("whsec_", secret);
            await session.ScreenshotAsync("secret");
            await page.GetByTestId("secret-done").ClickAsync();
            await Expect(page.GetByTestId("webhook")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("webhook-detail")).ToContainTextAsync("Data warehouse");

            // The receiver fails twice, then answers; the page follows the delivery to Delivered.
            receiver.Answer = n => n < 2 ? 500 : 200;
            using var pm = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            using var agent = await session.Server.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
            var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Lumen Retail", email = "ops@lumen.example", country = "NL" })).ReadAsync<CustomerDto>();
            (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Invoices show the wrong VAT", customerId = customer.Id, priority = "High" })).EnsureSuccessStatusCode();

            var delivery = page.GetByTestId("delivery").First;
            await Expect(delivery).ToHaveAttributeAsync("data-status", "Delivered", new() { Timeout = 20_000 });
            await Expect(delivery.GetByTestId("delivery-attempts")).ToHaveTextAsync("3");
            await delivery.GetByTestId("delivery-show").ClickAsync();
            await Expect(page.GetByTestId("attempt")).ToHaveCountAsync(3);
            await Expect(page.GetByTestId("attempts")).ToContainTextAsync("receiver is down");
            await Expect(page.GetByTestId("delivery-body")).ToContainTextAsync("Invoices show the wrong VAT");
            await session.ScreenshotAsync("deliveries");

            var delivered = receiver.Requests.Last();
            Assert.Equal("ticket.created", JsonDocument.Parse(delivered.Body).RootElement.GetProperty("type").GetString());
            Assert.Equal(delivered.ExpectedSignature(secret), delivered.SignaturePart("v1"));

            // Send again: a second delivery of the same event arrives.
            await page.GetByTestId("delivery-replay").First.ClickAsync();
            await receiver.WaitForAsync(r => r.Count(x => x.Answered == 200) == 2, "the replay");
            await Expect(page.GetByTestId("delivery")).ToHaveCountAsync(2, new() { Timeout = 10_000 });
            Assert.Equal(receiver.Requests.First().EventId, receiver.Requests.Last().EventId);

            // Pause: the status says so; a test ping waits until Resume.
            await page.GetByTestId("webhook-pause").ClickAsync();
            await Expect(page.GetByTestId("webhook-paused")).ToBeVisibleAsync();
            await page.GetByTestId("webhook-test").ClickAsync();
            await Task.Delay(1000);
            Assert.Equal(2, receiver.Requests.Count(x => x.Answered == 200));
            await page.GetByTestId("webhook-resume").ClickAsync();
            await receiver.WaitForAsync(r => r.Any(x => x.EventType == "ping"), "the ping after resuming");
            await Expect(page.GetByTestId("webhook-status")).ToHaveTextAsync("Active");
            await session.ScreenshotAsync("resumed");
        });
    }
}
