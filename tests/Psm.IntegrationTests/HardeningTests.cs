using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Auth;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

/// <summary>Each failure the access-and-hardening issue reported, reproduced through the API.</summary>
public sealed class HardeningTests
{
    [Fact]
    public async Task DatesOutsideTheSupportedRangeAreRefusedAndNothingBreaksTheTimeline()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Offline mode" })).ReadAsync<JsonObject>();
        var id = (string)initiative["summary"]!["id"]!;

        var farFuture = await pm.PutAsJsonAsync($"/api/v1/initiatives/{id}/schedule", new { plannedStart = "2026-01-01", plannedEnd = "9999-12-31" });
        Assert.Contains("plannedEnd", (await Errors(farFuture)).Keys);
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Nimbus" })).ReadAsync<ProductDto>();
        var campaign = await pm.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Year one", productId = product.Id, goal = "Awareness", channels = new[] { "Email" }, startsOn = "0001-01-01", endsOn = "2026-12-31",
        });
        Assert.Contains("startsOn", (await Errors(campaign)).Keys);

        Assert.Equal(HttpStatusCode.OK, (await pm.GetAsync("/api/v1/roadmap/timeline")).StatusCode);
        Assert.Empty((await pm.GetFromJsonAsync<JsonArray>("/api/v1/campaigns"))!);
    }

    [Fact]
    public async Task EnumsAreAcceptedByNameOnlyAndNullMeansNotGiven()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Nimbus" })).ReadAsync<ProductDto>();

        var stage = await pm.PostAsync($"/api/v1/products/{product.Id}/lifecycle",
            new StringContent("""{"stage":999,"reason":"x"}""", Encoding.UTF8, "application/json"));
        var stageErrors = await Errors(stage);
        Assert.Contains("Introduction", stageErrors["stage"].Single()); // names the allowed values
        Assert.Equal(HttpStatusCode.OK, (await pm.GetAsync($"/api/v1/products/{product.Id}")).StatusCode);

        var customer = await pm.PostAsync("/api/v1/customers", new StringContent(
            """{"name":"Aurora Labs","email":"hi@aurora.example","country":"DE","industry":null,"plan":null,"externalRef":null}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, customer.StatusCode);
        var customerId = (string)(await customer.ReadAsync<JsonObject>())["id"]!;

        var ticket = await agent.PostAsync("/api/v1/tickets", new StringContent(
            $$"""{"subject":"Broken","customerId":"{{customerId}}","priority":999}""", Encoding.UTF8, "application/json"));
        Assert.Contains("priority", (await Errors(ticket)).Keys);
        var asText = await agent.PostAsync("/api/v1/tickets", new StringContent(
            $$"""{"subject":"Broken","customerId":"{{customerId}}","priority":"999"}""", Encoding.UTF8, "application/json"));
        Assert.Contains("priority", (await Errors(asText)).Keys);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.GetAsync("/api/v1/tickets?priority=999")).StatusCode);
    }

    [Fact]
    public async Task MalformedJsonAndWrongTypesNameTheFieldByItsJsonPath()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        var wrongType = await pm.PostAsync("/api/v1/customers", new StringContent(
            """{"name":"Aurora","email":"a@b.example","country":"DE","employees":"many"}""", Encoding.UTF8, "application/json"));
        var errors = await Errors(wrongType);
        Assert.Equal("Expected a whole number.", errors["employees"].Single());
        var body = await wrongType.Content.ReadAsStringAsync();
        Assert.DoesNotContain("CustomerInput", body);
        Assert.DoesNotContain("System.", body);

        var broken = await pm.PostAsync("/api/v1/customers", new StringContent("""{"name":"Aurora", """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal("application/problem+json", broken.Content.Headers.ContentType?.MediaType);
        Assert.NotNull((await broken.ReadAsync<ProblemBody>()).Errors);
    }

    [Fact]
    public async Task ConstraintErrorsAnswer400Or409NamingTheField()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var first = await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora", email = "a@aurora.example", country = "DE", externalRef = "CRM-1" });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var unknownPersona = await pm.PostAsJsonAsync("/api/v1/customers",
            new { name = "Borealis", email = "b@borealis.example", country = "DE", personaId = Guid.NewGuid() });
        Assert.Contains("personaId", (await Errors(unknownPersona)).Keys);
        var duplicate = await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Copy", email = "c@copy.example", country = "DE", externalRef = "CRM-1" });
        Assert.True(duplicate.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadRequest, $"Got {(int)duplicate.StatusCode}");
        Assert.Contains("externalRef", await duplicate.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SimultaneousAnswersFromOneCustomerStoreOneAndRefuseTheRestWithoutA500()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora", email = "a@aurora.example", country = "DE" }))
            .ReadAsync<CustomerDto>();
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Pulse", kind = "Nps", question = "Would you recommend us?" }))
            .ReadAsync<JsonObject>();
        var surveyId = (string)survey["id"]!;

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            pm.PostAsJsonAsync($"/api/v1/surveys/{surveyId}/responses", new { score = 9, customerId = customer.Id })));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.True((int)a.StatusCode is 400 or 409, $"Got {(int)a.StatusCode}"));
        await using var scope = app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        Assert.Equal(1, await db.SurveyResponses.CountAsync());
    }

    [Fact]
    public async Task ImportsKeepTheApisLengthLimitsAndExportsValidateBeforeStreaming()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora", email = "a@aurora.example", country = "DE", externalRef = "CRM-1" });
        await admin.PostAsJsonAsync("/api/v1/products", new { name = "Nimbus" });
        var csv = $"customerRef,product,amount,currency,orderedOn,externalRef\r\nCRM-1,Nimbus,10,EUR,2026-01-05,{new string('r', 5_000_000)}\r\n";

        var import = await admin.PostAsync("/api/v1/orders/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.BadRequest, import.StatusCode);
        Assert.Contains("at most 100 characters", await import.Content.ReadAsStringAsync());
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>("/api/v1/orders"))!);

        var backwards = await admin.GetAsync("/api/v1/audit/export.csv?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z");
        Assert.Contains("from", (await Errors(backwards)).Keys);
    }

    [Fact]
    public async Task StakeholdersRecordConcernsOnlyInTheirOwnNameAndPersonalDataExportsAreLimitedAndAudited()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var users = await admin.GetFromJsonAsync<JsonArray>("/api/v1/users");
        var stefan = (string)users!.Single(u => (string)u!["email"]! == PsmServer.EmailOf(Roles.Stakeholder))!["id"]!;
        var own = await (await admin.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Stefan Finance", department = "Finance", userId = stefan }))
            .ReadAsync<JsonObject>();
        var other = await (await admin.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Leo Leadership", department = "Leadership" }))
            .ReadAsync<JsonObject>();
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Offline mode" })).ReadAsync<JsonObject>();
        var subjectId = (string)initiative["summary"]!["id"]!;

        var mine = await stakeholder.PostAsJsonAsync("/api/v1/concerns", new { subject = "Initiative", subjectId, stance = "Concerned", text = "Budget is thin." });
        Assert.Equal(HttpStatusCode.Created, mine.StatusCode);
        Assert.Equal((string)own["id"]!, (string)(await mine.ReadAsync<JsonObject>())["stakeholderId"]!);
        var onBehalf = await stakeholder.PostAsJsonAsync("/api/v1/concerns",
            new { stakeholderId = (string)other["id"]!, subject = "Initiative", subjectId, stance = "Opposes", text = "Not mine to say." });
        Assert.Equal(HttpStatusCode.Forbidden, onBehalf.StatusCode);
        var forLeo = await pm.PostAsJsonAsync("/api/v1/concerns",
            new { stakeholderId = (string)other["id"]!, subject = "Initiative", subjectId, stance = "Supports", text = "Leo said yes." });
        Assert.Equal(HttpStatusCode.Created, forLeo.StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.GetAsync("/api/v1/customers/export.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await pm.GetAsync("/api/v1/customers/export.csv?country=DE")).StatusCode);
        var audit = await admin.GetFromJsonAsync<JsonObject>("/api/v1/audit?action=Exported");
        var entry = Assert.Single(audit!["items"]!.AsArray());
        Assert.Equal("Customer", (string)entry!["entity"]!);
        Assert.Equal(PsmServer.EmailOf(Roles.ProductManager), (string)entry["userName"]!);
        Assert.Contains("DE", (string)entry["changes"]!);
    }
}
