using System.Net;
using System.Net.Http.Json;
using System.Text;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.IntegrationTests;

/// <summary>
/// Lists whose import exists export the import's columns in its formats: the exported file goes back through the import
/// (into the same company every row is known by its reference; into another, the records arrive unchanged).
/// </summary>
public sealed class ExportRoundTripTests
{
    private const string Customers = "name,email,country,externalRef\nAurora Analytics,ops@aurora.example,DE,C-AURORA\nBirch Foods,hi@birch.example,US,C-BIRCH\n";

    [Fact]
    public async Task OrdersAndSubscriptionsRoundTripThroughTheirImports()
    {
        const string orders = "customerRef,product,amount,currency,orderedOn,externalRef\n" +
                              "C-AURORA,Helpdesk,1200.5,EUR,2026-01-03,ORD-1\nC-BIRCH,Helpdesk,99,USD,2026-02-14,ORD-2\nC-AURORA,Helpdesk,40,EUR,2026-03-01,ORD-3\n";
        const string subscriptions = "customerRef,product,plan,monthlyAmount,currency,startedOn,cancelledOn,cancelReason,externalRef\n" +
                                     "C-AURORA,Helpdesk,Pro,450,EUR,2025-06-01,,,SUB-1\nC-BIRCH,Helpdesk,Starter,29.9,USD,2025-09-01,2026-02-01,Budget cut,SUB-2\n";
        await using var app = new PsmServer();
        using var pm = await Prepare(app);
        await Import(pm, "/api/v1/orders/import", orders, expected: 3);
        await Import(pm, "/api/v1/subscriptions/import", subscriptions, expected: 2);

        // The import's columns come first, in the import's formats, oldest first; then the customer's name and the id.
        var exportedOrders = await pm.GetStringAsync("/api/v1/orders/export.csv");
        var exportedSubscriptions = await pm.GetStringAsync("/api/v1/subscriptions/export.csv");
        Assert.Equal(Lines(orders), Lines(exportedOrders).Select(l => string.Join(',', l.Split(',')[..6])));
        Assert.Equal(Lines(subscriptions), Lines(exportedSubscriptions).Select(l => string.Join(',', l.Split(',')[..9])));
        Assert.EndsWith(",customer,id", Lines(exportedOrders)[0]);
        Assert.Equal(2, (await pm.GetStringAsync($"/api/v1/orders/export.csv?customerId={await CustomerId(pm, "C-AURORA")}")).Count(c => c == '\n') - 1);

        // Back into the same company: every row is known. Into another: the same records.
        Assert.Equal((0, 3), await Reimport(pm, "/api/v1/orders/import", exportedOrders));
        Assert.Equal((0, 2), await Reimport(pm, "/api/v1/subscriptions/import", exportedSubscriptions));
        await using var other = new PsmServer();
        using var elsewhere = await Prepare(other);
        await Import(elsewhere, "/api/v1/orders/import", exportedOrders, expected: 3);
        await Import(elsewhere, "/api/v1/subscriptions/import", exportedSubscriptions, expected: 2);
        Assert.Equal(Lines(orders), Lines(await elsewhere.GetStringAsync("/api/v1/orders/export.csv")).Select(l => string.Join(',', l.Split(',')[..6])));
        Assert.Equal(Lines(subscriptions), Lines(await elsewhere.GetStringAsync("/api/v1/subscriptions/export.csv")).Select(l => string.Join(',', l.Split(',')[..9])));
    }

    [Fact]
    public async Task SurveyAnswersRoundTripThroughTheirImport()
    {
        const string answers = "score,comment,customer,respondedAt,externalRef\n" +
                               "9,Quick answers from support,C-AURORA,2026-01-05T09:30:00.0000000+00:00,ANS-1\n" +
                               "3,\"Slow, and the export broke\",C-BIRCH,2026-01-06T16:00:00.0000000+00:00,ANS-2\n" +
                               "10,,,2026-01-07T08:15:00.0000000+00:00,ANS-3\n";
        await using var app = new PsmServer();
        using var pm = await Prepare(app);
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Quarterly NPS", kind = "Nps", question = "Would you recommend us?" })).ReadAsync<SurveyDto>();
        await Import(pm, $"/api/v1/surveys/{survey.Id}/responses/import", answers, expected: 3);

        var exported = await pm.GetStringAsync($"/api/v1/surveys/{survey.Id}/responses/export.csv");
        Assert.Equal(Lines(answers), Lines(exported).Select(l => string.Join(',', Fields(l)[..5])));
        Assert.EndsWith(",channel,wave,id", Lines(exported)[0]);
        Assert.Equal((0, 3), await Reimport(pm, $"/api/v1/surveys/{survey.Id}/responses/import", exported));
        Assert.Equal(HttpStatusCode.NotFound, (await pm.GetAsync($"/api/v1/surveys/{Guid.NewGuid()}/responses/export.csv")).StatusCode);

        await using var other = new PsmServer();
        using var elsewhere = await Prepare(other);
        var copy = await (await elsewhere.PostAsJsonAsync("/api/v1/surveys", new { name = "Quarterly NPS", kind = "Nps", question = "Would you recommend us?" })).ReadAsync<SurveyDto>();
        await Import(elsewhere, $"/api/v1/surveys/{copy.Id}/responses/import", exported, expected: 3);
        Assert.Equal(Lines(answers), Lines(await elsewhere.GetStringAsync($"/api/v1/surveys/{copy.Id}/responses/export.csv")).Select(l => string.Join(',', Fields(l)[..5])));

        // Commas inside a comment stay one field (the file's own quoting); split the rest.
        static string[] Fields(string line)
        {
            var quoted = line.IndexOf('"');
            return quoted < 0 ? line.Split(',') : [.. line[..quoted].Split(',')[..^1], line[quoted..(line.LastIndexOf('"') + 1)], .. line[(line.LastIndexOf('"') + 2)..].Split(',')];
        }
    }

    [Fact]
    public async Task FeedbackRoundTripsThroughItsImportWithTheFiltersApplied()
    {
        const string items = "text,channel,customer,rating,receivedAt,sourceRef\n" +
                             "The invoice export hangs on large months,Email,,3,2026-02-01T10:00:00.0000000+00:00,FB-1\n" +
                             "\"Love the new board, thanks!\",InApp,,9,2026-02-02T11:30:00.0000000+00:00,FB-2\n";
        await using var app = new PsmServer();
        using var pm = await Prepare(app);
        await Import(pm, "/api/v1/feedback/import", items, expected: 2);

        var exported = await pm.GetStringAsync("/api/v1/feedback/export.csv?channel=Email");
        var lines = Lines(exported);
        Assert.StartsWith("text,channel,customer,rating,receivedAt,sourceRef,id,", lines[0]);
        Assert.Equal(["The invoice export hangs on large months,Email,,3,2026-02-01T10:00:00.0000000+00:00,FB-1"], lines.Skip(1).Select(l => string.Join(',', l.Split(',')[..6])));

        await using var other = new PsmServer();
        using var elsewhere = await Prepare(other);
        await Import(elsewhere, "/api/v1/feedback/import", await pm.GetStringAsync("/api/v1/feedback/export.csv"), expected: 2);
        Assert.Equal((0, 2), await Reimport(elsewhere, "/api/v1/feedback/import", await pm.GetStringAsync("/api/v1/feedback/export.csv")));
    }

    [Fact]
    public async Task CampaignResultsRoundTripThroughTheirImport()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        string Day(int ago) => today.AddDays(-ago).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var results = "day,channel,impressions,engagements,conversions,spend,revenue\n" +
                      $"{Day(10)},Email,5000,410,22,120.5,880\n{Day(10)},Search,12000,300,15,340,1200.75\n{Day(9)},Email,4800,395,19,118,760\n";
        await using var app = new PsmServer();
        using var pm = await Prepare(app);
        var copy = await CampaignAsync(app);
        using var marketer = copy.Marketer;
        await Import(marketer, $"/api/v1/campaigns/{copy.Campaign}/results/import", results, expected: 3);

        var exported = await pm.GetStringAsync($"/api/v1/campaigns/{copy.Campaign}/results/export.csv");
        Assert.Equal(Lines(results), Lines(exported));
        Assert.Equal(3, (await Reimport(copy.Marketer, $"/api/v1/campaigns/{copy.Campaign}/results/import", exported)).Imported);
        Assert.Equal(Lines(results), Lines(await pm.GetStringAsync($"/api/v1/campaigns/{copy.Campaign}/results/export.csv")));
        Assert.Equal(HttpStatusCode.NotFound, (await pm.GetAsync($"/api/v1/campaigns/{Guid.NewGuid()}/results/export.csv")).StatusCode);

        await using var other = new PsmServer();
        using var elsewhere = await Prepare(other);
        var moved = await CampaignAsync(other);
        using var otherMarketer = moved.Marketer;
        await Import(moved.Marketer, $"/api/v1/campaigns/{moved.Campaign}/results/import", exported, expected: 3);
        Assert.Equal(Lines(results), Lines(await elsewhere.GetStringAsync($"/api/v1/campaigns/{moved.Campaign}/results/export.csv")));

        static async Task<(Guid Campaign, HttpClient Marketer)> CampaignAsync(PsmServer server)
        {
            var marketer = await server.ClientFor(PsmServer.EmailOf(Roles.Marketer));
            var products = (await marketer.GetFromJsonAsync<Page<ProductDto>>("/api/v1/products", Json.Options))!.Items;
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var created = await (await marketer.PostAsJsonAsync("/api/v1/campaigns", new
            {
                name = "Winter retention mailing", productId = products.Single(p => p.Name == "Helpdesk").Id, goal = "Retention", channels = new[] { "Email", "Search" },
                budget = 2000, startsOn = today.AddDays(-20), endsOn = today.AddDays(10), promisedInitiativeIds = Array.Empty<Guid>(),
            })).ReadAsync<Psm.Web.Features.Campaigns.CampaignDetail>();
            (await marketer.PutAsJsonAsync($"/api/v1/campaigns/{created.Campaign.Id}/status", new { status = "Scheduled" })).EnsureSuccessStatusCode();
            return (created.Campaign.Id, marketer);
        }
    }

    private static async Task<HttpClient> Prepare(PsmServer app)
    {
        var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        await Import(pm, "/api/v1/customers/import", Customers, expected: 2);
        (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).EnsureSuccessStatusCode();
        return pm;
    }

    private static async Task<Guid> CustomerId(HttpClient client, string reference) =>
        (await client.GetFromJsonAsync<Page<Psm.Web.Features.Customers.CustomerDto>>("/api/v1/customers", Json.Options))!.Items.Single(c => c.ExternalRef == reference).Id;

    private static async Task Import(HttpClient client, string path, string csv, int expected)
    {
        var response = await client.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var result = await response.ReadAsync<CsvImportResult>();
        Assert.True(result.Imported == expected, $"{path}: imported {result.Imported} of {expected}; {string.Join("; ", result.Rejected.Select(r => $"row {r.Row} {r.Field}: {r.Message}"))}");
    }

    private static async Task<(int Imported, int Duplicates)> Reimport(HttpClient client, string path, string csv)
    {
        var result = await (await client.PostAsync(path + "?allOrNothing=false", new StringContent(csv, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>();
        return (result.Imported, result.Duplicates);
    }

    private static List<string> Lines(string csv) => csv.Replace("\r\n", "\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
}
