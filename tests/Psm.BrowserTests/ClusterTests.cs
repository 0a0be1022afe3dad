using System.Net.Http.Json;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Chat;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

/// <summary>A person signed in through the balancer in front of two PSM processes (deploy/haproxy.cfg.template), chatting with a visitor on the other instance.</summary>
[Collection(BrowserLanes.One)]
public sealed class ClusterTests(BrowserFixture browser)
{
    [Fact]
    public async Task AnAgentSignedInThroughTheBalancerKeepsWorkingWhenTheirInstanceIsKilled()
    {
        await using var cluster = await PsmCluster.StartAsync();
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = cluster.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
            TimezoneId = "Europe/Berlin",
        });
        var page = await context.NewPageAsync();
        var shots = Path.Combine(Session.ScreenshotFolder, TestProvider.Name, nameof(AnAgentSignedInThroughTheBalancerKeepsWorkingWhenTheirInstanceIsKilled));
        try
        {
            await page.GotoAsync("/account/sign-in");
            await page.GetByLabel("Email").FillAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await page.GetByLabel("Password").FillAsync(DemoData.Password);
            await page.GetByTestId("sign-in").ClickAsync();
            await Expect(page.Locator("[data-interactive='true']")).ToBeVisibleAsync();
            var first = await InstanceAsync(context);
            Assert.NotNull(first);

            await page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = "Accounts", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("No customers");
            await AddCustomerAsync(page, "Juniper Travel", "hello@juniper.example");
            await page.ScreenshotAsync(new() { Path = shots + "-before.png", FullPage = true });

            // Live chat across instances: this agent's console is on their instance, the visitor's widget talks to the other
            // one, and PostgreSQL carries the chat's events between them (ADR-023). SQLite's chat runs on one instance.
            var visitorSide = cluster.Instances.Single(i => TestProvider.IsPostgres ? i.Name != first : i.Name == first);
            await page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = "Live chat", Exact = true }).ClickAsync();
            await page.GetByText("Not taking chats").ClickAsync();
            await Expect(page.GetByText("Available for chat")).ToBeVisibleAsync();
            const string shop = "https://shop.example.com";
            using var lead = new HttpClient { BaseAddress = visitorSide.Address };
            lead.DefaultRequestHeaders.Add("X-Api-Key", await cluster.Owner.IssueKeyAsync(PsmServer.EmailOf(Roles.SupportLead)));
            var site = await (await lead.PostAsJsonAsync("/api/v1/chat-sites", new { name = "Shop", allowedOrigins = new[] { shop } })).ReadAsync<ChatSiteDto>();
            using var visitor = new HttpClient { BaseAddress = visitorSide.Address };
            visitor.DefaultRequestHeaders.Add("Origin", shop);
            var chat = await (await visitor.PostAsJsonAsync($"/api/v1/public/chat/{site.SiteKey}/conversations", new { question = "Can I move my plan to yearly billing?" })).ReadAsync<ChatStarted>();
            async Task VisitorAsync(string path, object body)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/public/chat/{site.SiteKey}/conversations/{chat.Id}/{path}") { Content = JsonContent.Create(body) };
                request.Headers.Add(ChatApi.TokenHeader, chat.Token);
                (await visitor.SendAsync(request)).EnsureSuccessStatusCode();
            }

            await VisitorAsync("person", new { name = "Noor Haddad", email = "noor.haddad@example.org" });
            await Expect(page.GetByTestId("chat-active").GetByTestId("chat-row")).ToContainTextAsync("Noor Haddad");
            await Expect(page.GetByTestId("chat-transcript")).ToContainTextAsync("Can I move my plan to yearly billing?");
            await VisitorAsync("messages", new { text = "It is the Team plan, with 12 seats." });
            await Expect(page.Locator("[data-testid=chat-transcript-line][data-author=Visitor]").Last).ToContainTextAsync("It is the Team plan, with 12 seats.");
            await page.ScreenshotAsync(new() { Path = shots + "-chat.png", FullPage = true });
            // The chat's ticket filed its visitor under "Unassigned senders", the second account below.
            await page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = "Accounts", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("1–2 of 2");

            // The instance holding this person's circuit dies at once. The circuit cannot come back there: the browser
            // reconnects through the balancer, the other instance has no such circuit and refuses it, and the page loads
            // again from that instance, where the sign-in cookie still opens (the keys are in the database).
            // A mark on this document: the page has loaded again once it is gone (until then, the old page is on screen,
            // and a click on it is lost).
            await page.EvaluateAsync("() => { window.psmBeforeKill = true; }");
            cluster.Instances.Single(i => i.Name == first).Kill();
            var until = DateTime.UtcNow.AddSeconds(45);
            while (await StillTheOldPageAsync(page))
            {
                Assert.True(DateTime.UtcNow < until, "The page did not load again within 45 s of its instance being killed.");
                await Task.Delay(250);
            }

            Assert.NotEqual(first, await InstanceAsync(context));
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/customers"));
            await Expect(page.Locator("[data-interactive='true']")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("customers-table")).ToContainTextAsync("Juniper Travel");
            await AddCustomerAsync(page, "Kestrel Outfitters", "team@kestrel.example");
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("1–3 of 3");
            await page.ScreenshotAsync(new() { Path = shots + "-after-kill.png", FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = shots + "-FAILED.png", FullPage = true });
            throw;
        }
    }

    private static async Task AddCustomerAsync(IPage page, string name, string email)
    {
        await page.GetByTestId("new-customer").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Name").FillAsync(name);
        await dialog.GetByLabel("Email").FillAsync(email);
        await dialog.GetByLabel("Country (ISO code, e.g. DE)").FillAsync("NL");
        await Expect(dialog.GetByLabel("Country (ISO code, e.g. DE)")).ToHaveValueAsync("NL");
        await page.GetByTestId("save-customer").ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.GetByTestId("customers-table")).ToContainTextAsync(name);
    }

    private static async Task<bool> StillTheOldPageAsync(IPage page)
    {
        try
        {
            return await page.EvaluateAsync<bool>("() => window.psmBeforeKill === true");
        }
        catch (PlaywrightException)
        {
            return true; // the page is being replaced right now
        }
    }

    /// <summary>The instance the balancer keeps this browser on (its affinity cookie).</summary>
    private static async Task<string?> InstanceAsync(IBrowserContext context) =>
        (await context.CookiesAsync()).FirstOrDefault(c => c.Name == "psm_instance")?.Value;
}
