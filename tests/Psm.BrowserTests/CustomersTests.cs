using System.Net.Http.Json;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

[Collection(BrowserLanes.Two)]
public sealed class CustomersTests(BrowserFixture browser)
{
    [Fact]
    public async Task AddsFindsEditsAndArchivesACustomer()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.SupportAgent));
            await session.NavigateAsync("Accounts");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("No customers");

            await page.GetByTestId("new-customer").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Name").FillAsync("Juniper Travel");
            await dialog.GetByLabel("Email").FillAsync("not an email");
            await dialog.GetByLabel("Country (ISO code, e.g. DE)").FillAsync("NL");
            await page.GetByTestId("save-customer").ClickAsync();
            await Expect(dialog.GetByText("Email must be an email address.")).ToBeVisibleAsync();
            await session.ScreenshotAsync("validation");

            await dialog.GetByLabel("Email").FillAsync("hello@juniper.example");
            await page.GetByTestId("save-customer").ClickAsync();
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(page.GetByTestId("customers-table")).ToContainTextAsync("Juniper Travel");
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("1–1 of 1");

            await page.GetByRole(AriaRole.Button, new() { Name = "Edit Juniper Travel" }).ClickAsync();
            await dialog.GetByLabel("Industry").FillAsync("Travel");
            await page.GetByTestId("save-customer").ClickAsync();
            await Expect(page.GetByTestId("customers-table")).ToContainTextAsync("Travel");
            await session.ScreenshotAsync("list");

            await page.GetByRole(AriaRole.Button, new() { Name = "Archive Juniper Travel" }).ClickAsync();
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("No customers");
            await page.GetByLabel("Show archived").CheckAsync();
            await Expect(page.GetByTestId("customers-table")).ToContainTextAsync("Archived");
        });
    }

    [Fact]
    public async Task TellsTheUserWhenSomeoneElseChangedTheCustomerFirst()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var created = await (await api.PostAsJsonAsync("/api/v1/customers",
                new { name = "Tidal Energy", email = "ops@tidal.example", country = "NO", employees = 80 })).ReadAsync<CustomerDto>();

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await page.GotoAsync("/customers");
            await session.WaitUntilInteractiveAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Edit Tidal Energy" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Industry").FillAsync("Energy");

            var meanwhile = await api.PutAsJsonAsync($"/api/v1/customers/{created.Id}", new
            {
                name = "Tidal Energy ASA", email = created.Email, country = "NO", employees = 85, version = created.Version,
            });
            meanwhile.EnsureSuccessStatusCode();

            await page.GetByTestId("save-customer").ClickAsync();
            await Expect(page.GetByTestId("editor-error")).ToContainTextAsync("changed by someone else");
            await session.ScreenshotAsync("conflict");
            await page.GetByTestId("load-latest").ClickAsync();
            await Expect(dialog.GetByLabel("Name")).ToHaveValueAsync("Tidal Energy ASA");
            await Expect(page.GetByTestId("editor-error")).ToHaveCountAsync(0);
            var stored = await api.GetFromJsonAsync<CustomerDto>($"/api/v1/customers/{created.Id}", Json.Options);
            Assert.Equal("Tidal Energy ASA", stored!.Name);
            Assert.Equal("", stored.Industry);
        });
    }

    [Fact]
    public async Task ImportsACsvFileAndPagesThroughTheResult()
    {
        await using var session = await Session.StartAsync(browser);
        var file = Path.Combine(Path.GetTempPath(), $"customers-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(file,
            ["name,email,country,industry,employees", .. Enumerable.Range(1, 30).Select(i => $"Import {i:00},c{i}@example.com,FR,Retail,{i * 10}")]);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await page.GotoAsync("/customers");
            await session.WaitUntilInteractiveAsync();

            await page.GetByTestId("import-customers").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.Locator("input[type=file]").SetInputFilesAsync(file);
            await page.GetByTestId("run-import").ClickAsync();
            await Expect(page.GetByTestId("import-report")).ToContainTextAsync("Imported 30 of 30 rows.");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("1–25 of 30");
            await session.ScreenshotAsync("imported");
            await page.GetByTestId("next-page").ClickAsync();
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("26–30 of 30");
            await Expect(page.GetByTestId("customers-table")).ToContainTextAsync("Import 30");

            await page.GetByLabel("Search name or email").FillAsync("Import 07");
            await Expect(page.GetByTestId("customers-range")).ToHaveTextAsync("1–1 of 1");

            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync());
            var exported = await File.ReadAllLinesAsync((await download.PathAsync())!);
            Assert.Equal("customers.csv", download.SuggestedFilename);
            Assert.Equal(2, exported.Length);
            Assert.Contains("Import 07,c7@example.com,FR,Retail,70", exported[1]);
        });
        File.Delete(file);
    }

    [Fact]
    public async Task ASavedDefaultViewOpensTheCustomersListOnItsFilters()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var api = await session.Server.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            foreach (var (name, country) in new[] { ("Malmö Mills", "SE"), ("Uppsala Umbrellas", "SE"), ("Porto Pumps", "PT") })
            {
                (await api.PostAsJsonAsync("/api/v1/customers", new { name, email = $"hi@{country.ToLowerInvariant()}{name.Length}.example", country })).EnsureSuccessStatusCode();
            }

            await session.SignInAndWaitAsync(PsmServer.EmailOf(Roles.ProductManager));
            await page.GotoAsync("/customers?country=SE");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("customers-table")).Not.ToContainTextAsync("Porto Pumps");
            await page.GetByTestId("views-menu").ClickAsync();
            await page.GetByTestId("save-view").ClickAsync();
            await page.GetByTestId("view-name").FillAsync("Sweden");
            await page.GetByTestId("view-default").CheckAsync();
            await page.GetByTestId("save-view-confirm").ClickAsync();
            await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Saved the view “Sweden”");

            // The bare address opens on the default view; the export takes the same filters.
            await page.GotoAsync("/customers");
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("views-menu")).ToContainTextAsync("View: Sweden");
            await Expect(page.GetByTestId("customers-table")).ToContainTextAsync("Uppsala Umbrellas");
            await Expect(page.GetByTestId("customers-table")).Not.ToContainTextAsync("Porto Pumps");
            await Expect(page.GetByTestId("export-csv")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("country=SE"));
            await session.ScreenshotAsync("customers-view");
        });
    }
}
