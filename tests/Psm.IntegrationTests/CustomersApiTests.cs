using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Psm.Web.Features.Admin;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.IntegrationTests;

public sealed class CustomersApiTests
{
    private static object NewCustomer(string name, string country = "DE") =>
        new { name, email = $"{name.Replace(' ', '.').ToLowerInvariant()}@example.com", country, industry = "Retail", employees = 40 };

    [Fact]
    public async Task CreatesReadsAndUpdatesACustomer()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        var created = await client.PostAsJsonAsync("/api/v1/customers", NewCustomer("Harbor Foods"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var customer = await created.ReadAsync<CustomerDto>();
        Assert.Equal($"/api/v1/customers/{customer.Id}", created.Headers.Location!.OriginalString);
        Assert.Equal(7, customer.Id.Version);

        var update = await client.PutAsJsonAsync($"/api/v1/customers/{customer.Id}", new
        {
            name = "Harbor Foods Group", email = customer.Email, country = "fr", industry = "Retail", employees = 55,
            version = customer.Version,
        });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var updated = await update.ReadAsync<CustomerDto>();
        Assert.Equal("Harbor Foods Group", updated.Name);
        Assert.Equal("FR", updated.Country);
        Assert.NotEqual(customer.Version, updated.Version);

        var read = await client.GetFromJsonAsync<CustomerDto>($"/api/v1/customers/{customer.Id}", Json.Options);
        Assert.Equal(55, read!.Employees);
    }

    [Fact]
    public async Task Returns400WithTheFieldsAtFault()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        var response = await client.PostAsJsonAsync("/api/v1/customers",
            new { name = "", email = "not-an-email", country = "Germany", employees = 0 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadAsync<ProblemBody>();
        Assert.NotNull(problem.Errors);
        Assert.Contains("Name is required.", problem.Errors!["Name"]);
        Assert.Contains(problem.Errors.Keys, k => k == "Email");
        Assert.Contains(problem.Errors.Keys, k => k == "Country");
        Assert.Contains(problem.Errors.Keys, k => k == "Employees");
        var list = await client.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers", Json.Options);
        Assert.Empty(list!.Items);
    }

    [Fact]
    public async Task Returns409GivenAStaleVersionAndKeepsTheNewerWrite()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var customer = await (await client.PostAsJsonAsync("/api/v1/customers", NewCustomer("Cedar Labs"))).ReadAsync<CustomerDto>();

        var first = await client.PutAsJsonAsync($"/api/v1/customers/{customer.Id}", new
        {
            name = "Cedar Labs One", email = customer.Email, country = "DE", employees = 41, version = customer.Version,
        });
        var stale = await client.PutAsJsonAsync($"/api/v1/customers/{customer.Id}", new
        {
            name = "Cedar Labs Two", email = customer.Email, country = "DE", employees = 42, version = customer.Version,
        });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(409, (await stale.ReadAsync<ProblemBody>()).Status);
        var read = await client.GetFromJsonAsync<CustomerDto>($"/api/v1/customers/{customer.Id}", Json.Options);
        Assert.Equal("Cedar Labs One", read!.Name);
    }

    [Fact]
    public async Task WritesAnAuditEntryNamingWhoChangedWhat()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", NewCustomer("Delta Motors"))).ReadAsync<CustomerDto>();
        await pm.PutAsJsonAsync($"/api/v1/customers/{customer.Id}", new
        {
            name = "Delta Motors", email = customer.Email, country = "DE", employees = 99, version = customer.Version,
        });

        var page = await admin.GetFromJsonAsync<Page<AuditEntryDto>>(
            $"/api/v1/audit?entity=Customer&entityKey={customer.Id}", Json.Options);

        Assert.Equal(2, page!.Items.Count);
        var update = page.Items[0];
        Assert.Equal("Updated", update.Action);
        Assert.Equal(PsmServer.EmailOf(Roles.ProductManager), update.UserName);
        using var changes = JsonDocument.Parse(update.Changes);
        Assert.Equal(40, changes.RootElement.GetProperty("Employees").GetProperty("Old").GetInt32());
        Assert.Equal(99, changes.RootElement.GetProperty("Employees").GetProperty("New").GetInt32());
        Assert.False(changes.RootElement.TryGetProperty("Name", out _));
        Assert.Equal("Created", page.Items[1].Action);
    }

    [Fact]
    public async Task PagesThroughEveryCustomerOnceWithTheCursor()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var csv = new StringBuilder("name,email,country,industry,employees\n");
        for (var i = 0; i < 23; i++)
        {
            // Duplicated names force the id tie-breaker to keep the order stable.
            csv.AppendLine($"Customer {i % 7},c{i}@example.com,US,Software,{i + 1}");
        }

        var import = await client.PostAsync("/api/v1/customers/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);

        foreach (var sort in new[] { "Name", "NameDescending", "Newest", "Oldest" })
        {
            var seen = new List<CustomerDto>();
            string? cursor = null;
            do
            {
                var page = await client.GetFromJsonAsync<Page<CustomerDto>>(
                    $"/api/v1/customers?limit=5&sort={sort}&cursor={cursor}", Json.Options);
                Assert.True(page!.Items.Count <= 5);
                seen.AddRange(page.Items);
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            Assert.Equal(23, seen.Count);
            Assert.Equal(23, seen.Select(c => c.Id).Distinct().Count());
        }

        var byName = new List<CustomerDto>();
        string? next = null;
        do
        {
            var page = await client.GetFromJsonAsync<Page<CustomerDto>>($"/api/v1/customers?limit=4&cursor={next}", Json.Options);
            byName.AddRange(page!.Items);
            next = page.NextCursor;
        }
        while (next is not null);

        Assert.Equal(byName.Select(c => c.Name).Order(StringComparer.Ordinal), byName.Select(c => c.Name));
    }

    [Fact]
    public async Task Returns400GivenABadCursorOrLimit()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        var badCursor = await client.GetAsync("/api/v1/customers?cursor=garbage!!");
        var badLimit = await client.GetAsync("/api/v1/customers?limit=100000");

        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);
        Assert.Contains("cursor", (await badCursor.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Contains("limit", (await badLimit.ReadAsync<ProblemBody>()).Errors!.Keys);
    }

    [Fact]
    public async Task RejectsAWholeImportAndReportsEachBadRow()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        const string csv = """
            name,email,country,industry,employees
            Good One,good1@example.com,DE,Retail,10
            ,missing-name@example.com,DE,Retail,10
            Good Two,good2@example.com,DE,Retail,10
            Bad Email,nope,USA,Retail,ten
            """;

        var response = await client.PostAsync("/api/v1/customers/import", new StringContent(csv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var result = await response.ReadAsync<CsvImportResult>();
        Assert.Equal(4, result.RowsRead);
        Assert.Equal(0, result.Imported);
        Assert.False(result.Applied);
        // Rows are numbered as in the file: the header is row 1.
        Assert.Contains(result.Rejected, e => e.Row == 3 && e.Field == "Name");
        Assert.Contains(result.Rejected, e => e.Row == 5 && e.Field == "Email");
        Assert.Contains(result.Rejected, e => e.Row == 5 && e.Field == "Country");
        Assert.Contains(result.Rejected, e => e.Row == 5 && e.Field == "Employees");
        Assert.DoesNotContain(result.Rejected, e => e.Row is 2 or 4);
        var list = await client.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers", Json.Options);
        Assert.Empty(list!.Items);
    }

    [Fact]
    public async Task KeepsTheValidRowsWhenAskedAndNeverImportsAnExternalReferenceTwice()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        const string csv = """
            Company,Mail,Land,Id
            Maple,m@maple.example,SE,CRM-1
            Broken,not-an-email,SE,CRM-2
            Birch,b@birch.example,NO,CRM-3
            Maple again,m2@maple.example,SE,CRM-1
            """;
        const string url = "/api/v1/customers/import?map=name:Company,email:Mail,country:Land,externalRef:Id&allOrNothing=false";

        var first = await (await client.PostAsync(url, new StringContent(csv, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>();
        Assert.Equal(2, first.Imported);
        Assert.Equal(1, first.Duplicates); // CRM-1 twice in the file
        Assert.Equal(3, Assert.Single(first.Rejected).Row);

        var second = await (await client.PostAsync(url, new StringContent(csv, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>();
        Assert.Equal(0, second.Imported);
        Assert.Equal(3, second.Duplicates);
        var list = await client.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers", Json.Options);
        Assert.Equal(["Birch", "Maple"], list!.Items.Select(c => c.Name));
    }

    [Fact]
    public async Task ImportsAValidFileWholeAndExportsItBack()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        const string csv = "Employees,Name,Email,Country,Industry\r\n12,\"Quartz, Ltd\",q@example.com,se,Media\r\n8,\"=Formula\",f@example.com,NL,\r\n";

        var response = await client.PostAsync("/api/v1/customers/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.ReadAsync<CsvImportResult>()).Imported);

        var export = await client.GetAsync("/api/v1/customers/export.csv?country=SE");
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("name,email,country,industry,employees,externalRef,plan,region,signupDate,lifetimeValue", lines[0]);
        Assert.StartsWith("\"Quartz, Ltd\",q@example.com,SE,Media,12", lines[1]);

        var all = await client.GetStringAsync("/api/v1/customers/export.csv");
        Assert.Contains("'=Formula", all);
    }

    [Fact]
    public async Task TheExportCarriesEveryFieldTheImportAcceptsAndImportsIntoAnotherCompanyUnchanged()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        const string csv = "name,email,country,industry,employees,externalRef,plan,region,signupDate\n" +
                           "Aurora Analytics,ops@aurora.example,DE,Software,120,C-AURORA,Pro,Europe,2024-03-18\n" +
                           "Birch Foods,hi@birch.example,US,Food,15,C-BIRCH,Starter,North America,2025-11-02\n";
        Assert.Equal(2, (await (await client.PostAsync("/api/v1/customers/import", new StringContent(csv, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>()).Imported);
        var exported = await client.GetStringAsync("/api/v1/customers/export.csv");

        // Into the same company, every row is known by its reference; into another, the customers arrive with every field.
        var again = await (await client.PostAsync("/api/v1/customers/import?allOrNothing=false", new StringContent(exported, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>();
        Assert.Equal((0, 2), (again.Imported, again.Duplicates));
        await using var other = new PsmServer();
        using var elsewhere = await other.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var moved = await (await elsewhere.PostAsync("/api/v1/customers/import", new StringContent(exported, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>();
        Assert.Equal((2, 0), (moved.Imported, moved.Rejected.Count));
        static object Fields(CustomerDto c) => (c.Name, c.Email, c.Country, c.Industry, c.Employees, c.ExternalRef, c.Plan, c.Region, c.SignupDate);
        var before = (await client.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers", Json.Options))!.Items.Select(Fields);
        var after = (await elsewhere.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers", Json.Options))!.Items.Select(Fields);
        Assert.Equal(before, after);
        Assert.Contains(("Aurora Analytics", "ops@aurora.example", "DE", "Software", 120, (string?)"C-AURORA", "Pro", "Europe", (DateOnly?)new DateOnly(2024, 3, 18)), after);
    }

    [Fact]
    public async Task ArchivesInsteadOfDeletingAndOnlyAnAdminPurges()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", NewCustomer("Ember Media"))).ReadAsync<CustomerDto>();

        Assert.Equal(HttpStatusCode.OK, (await pm.DeleteAsync($"/api/v1/customers/{customer.Id}")).StatusCode);
        var active = await pm.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers", Json.Options);
        var withArchived = await pm.GetFromJsonAsync<Page<CustomerDto>>("/api/v1/customers?includeArchived=true", Json.Options);
        Assert.Empty(active!.Items);
        Assert.NotNull(Assert.Single(withArchived!.Items).ArchivedAt);

        Assert.Equal(HttpStatusCode.Forbidden, (await pm.DeleteAsync($"/api/v1/customers/{customer.Id}/purge")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/customers/{customer.Id}/purge")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await pm.GetAsync($"/api/v1/customers/{customer.Id}")).StatusCode);
    }
}
