using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.IntegrationTests;

public sealed class CatalogApiTests
{
    private static async Task<ProductDto> CreateProduct(HttpClient client, string name, string stage = "Introduction")
    {
        var response = await client.PostAsJsonAsync("/api/v1/products",
            new { name, uniqueSellingProposition = "Faster than the rest.", description = "A product.", stage });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<ProductDto>();
    }

    [Fact]
    public async Task AddsAProductAndServiceAndKeepsEveryStageChangeWithWhoAndWhy()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await CreateProduct(pm, "Nimbus Backup");

        var service = await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/services",
            new { name = "Backup Onboarding", kind = "Onboarding" });
        Assert.Equal(HttpStatusCode.Created, service.StatusCode);
        var moved = await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle",
            new { stage = "Growth", reason = "Passed 50 customers." });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(LifecycleStage.Growth, (await moved.ReadAsync<ProductDto>()).Stage);

        var detail = await pm.GetFromJsonAsync<ProductDetailDto>($"/api/v1/products/{product.Id}", Json.Options);
        Assert.Equal("Win market share", detail!.Guidance.Goal);
        Assert.Equal("Backup Onboarding", Assert.Single(detail.Services).Name);
        Assert.Equal(1, detail.Product.ServiceCount);

        var history = await pm.GetFromJsonAsync<List<LifecycleChangeDto>>($"/api/v1/products/{product.Id}/lifecycle", Json.Options);
        Assert.Equal(3, history!.Count);
        var latest = history[0];
        Assert.Equal((LifecycleStage?)LifecycleStage.Introduction, latest.From);
        Assert.Equal(LifecycleStage.Growth, latest.To);
        Assert.Equal("Passed 50 customers.", latest.Reason);
        Assert.Equal(PsmServer.EmailOf(Roles.ProductManager), latest.UserName);
        Assert.Contains(history, h => h.ItemKind == CatalogItemKind.Service && h.ItemName == "Backup Onboarding" && h.From == null);
    }

    [Fact]
    public async Task Returns400WithTheFieldAtFault()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await CreateProduct(pm, "Quartz CMS");

        var noName = await pm.PostAsJsonAsync("/api/v1/products", new { name = "" });
        var unknownOwner = await pm.PostAsJsonAsync("/api/v1/products", new { name = "Owned", ownerId = Guid.NewGuid() });
        var duplicate = await pm.PostAsJsonAsync("/api/v1/products", new { name = "Quartz CMS" });
        var noReason = await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle", new { stage = "Growth", reason = "" });
        var sameStage = await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle", new { stage = "Introduction", reason = "x" });
        var stageByEdit = await pm.PutAsJsonAsync($"/api/v1/products/{product.Id}",
            new { name = "Quartz CMS", stage = "Maturity", version = product.Version });
        var badStage = await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle", new { stage = "Zombie", reason = "x" });

        Assert.Contains("Name", (await noName.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("OwnerId", (await unknownOwner.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("Name", (await duplicate.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("Reason", (await noReason.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("Stage", (await sameStage.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("Stage", (await stageByEdit.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, badStage.StatusCode);
        var history = await pm.GetFromJsonAsync<List<LifecycleChangeDto>>($"/api/v1/products/{product.Id}/lifecycle", Json.Options);
        Assert.Single(history!);
    }

    [Fact]
    public async Task Returns409GivenAStaleVersion()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await CreateProduct(pm, "Vertex Billing");

        var first = await pm.PutAsJsonAsync($"/api/v1/products/{product.Id}",
            new { name = "Vertex Billing", description = "First edit", stage = "Introduction", version = product.Version });
        var stale = await pm.PutAsJsonAsync($"/api/v1/products/{product.Id}",
            new { name = "Vertex Billing", description = "Second edit", stage = "Introduction", version = product.Version });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var stored = await pm.GetFromJsonAsync<ProductDetailDto>($"/api/v1/products/{product.Id}", Json.Options);
        Assert.Equal("First edit", stored!.Product.Description);
    }

    [Fact]
    public async Task RefusesNewServicesOnARetiredProductAndSaysWhy()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await CreateProduct(pm, "Umbra Mail", "Decline");
        await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/lifecycle", new { stage = "Retired", reason = "Last customer migrated." });

        var response = await pm.PostAsJsonAsync($"/api/v1/products/{product.Id}/services", new { name = "Late Support", kind = "Support" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadAsync<ProblemBody>();
        Assert.Contains("retired", problem.Errors!["productId"][0]);
        using var scope = app.Services.CreateScope();
        var catalog = scope.ServiceProvider.GetRequiredService<Catalog>();
        var refused = await Assert.ThrowsAsync<RequestValidationException>(() =>
            catalog.EnsureOpenForNewWorkAsync(product.Id, null, "campaigns"));
        Assert.Contains("no new campaigns", refused.Errors["productId"][0]);
    }

    [Fact]
    public async Task LetsAStakeholderReadButNotEditTheCatalog()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var product = await CreateProduct(pm, "Redwood HR");

        Assert.Equal(HttpStatusCode.OK, (await stakeholder.GetAsync($"/api/v1/products/{product.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync("/api/v1/products", new { name = "Nope" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync(
            $"/api/v1/products/{product.Id}/lifecycle", new { stage = "Growth", reason = "Because." })).StatusCode);
    }

    [Fact]
    public async Task FiltersByStageAndExportsWhatItShows()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        await CreateProduct(pm, "Acme Growth One", "Growth");
        await CreateProduct(pm, "Acme Growth Two", "Growth");
        await CreateProduct(pm, "Acme Mature", "Maturity");

        var growth = await pm.GetFromJsonAsync<Page<ProductDto>>("/api/v1/products?stage=Growth&sort=NameDescending", Json.Options);
        var csv = await pm.GetStringAsync("/api/v1/products/export.csv?stage=Maturity");

        Assert.Equal(["Acme Growth Two", "Acme Growth One"], growth!.Items.Select(p => p.Name));
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(",Acme Mature,Maturity,", lines[1]);
    }

    [Fact]
    public async Task SeedsTheDemoCompanyWithProductsAtEveryStage()
    {
        await using var app = new PsmServer(new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));

        var products = await client.GetFromJsonAsync<Page<ProductDto>>("/api/v1/products", Json.Options);
        var customers = await client.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers?limit=500", Json.Options);

        Assert.Equal(Enum.GetValues<LifecycleStage>().Order(), products!.Items.Select(p => p.Stage).Order());
        Assert.All(products.Items, p => Assert.Equal("Priya Patel", p.Owner?.Name));
        Assert.Equal(Psm.Web.Data.Demo.DemoData.CustomersPerScale, customers!.Items.Count);
        var helpdesk = products!.Items.Single(p => p.Name == "Northwind Helpdesk");
        var history = await client.GetFromJsonAsync<List<LifecycleChangeDto>>($"/api/v1/products/{helpdesk.Id}/lifecycle", Json.Options);
        Assert.NotNull(history);
        Assert.Equal(LifecycleStage.Maturity, history.First(h => h.ItemKind == CatalogItemKind.Product).To);
        Assert.True(history.Count >= 8);

        var stakeholders = await client.GetFromJsonAsync<List<Psm.Web.Features.Alignment.StakeholderDto>>("/api/v1/stakeholders", Json.Options);
        var decisions = await client.GetFromJsonAsync<List<Psm.Web.Features.Alignment.DecisionDto>>("/api/v1/decisions", Json.Options);
        Assert.Equal(Enum.GetValues<Psm.Web.Features.Alignment.Department>().Order(), stakeholders!.Select(s => s.Department).Distinct().Order());
        Assert.Equal(Psm.Web.Features.Alignment.Stance.Opposes, Assert.Single(Assert.Single(decisions!).RemainingConcerns).Stance);
    }
}
