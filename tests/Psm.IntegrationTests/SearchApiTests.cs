using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Search;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>The app bar's search, through the API, on the engine under test (each engine's full-text search: tsvector on PostgreSQL, FTS5 on SQLite).</summary>
public sealed class SearchApiTests
{
    [Fact]
    public async Task FindsATicketByKeyACustomerByTheStartsOfItsWordsAndShowsUsersOnlyToAdministrators()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var lindqvist = await (await agent.PostAsJsonAsync("/api/v1/customers", new { name = "Lindqvist Logistics", email = "ops@lindqvist.example", country = "SE" })).ReadAsync<CustomerDto>();
        await (await agent.PostAsJsonAsync("/api/v1/customers", new { name = "Harbor Foods", email = "hi@harbor.example", country = "DE" })).ReadAsync<CustomerDto>();
        var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Invoices export fails", customerId = lindqvist.Id })).ReadAsync<TicketDto>();
        await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Password reset mail never arrives", customerId = lindqvist.Id })).ReadAsync<TicketDto>();

        // A ticket by its key (any case, with or without the dash), first.
        var byKey = await agent.GetFromJsonAsync<SearchResults>($"/api/v1/search?q={ticket.Summary.Key.ToLowerInvariant()}", Json.Options);
        var tickets = Assert.Single(byKey!.Groups, g => g.Kind == "tickets");
        Assert.Equal(ticket.Summary.Id, tickets.Hits[0].Id);
        Assert.StartsWith(ticket.Summary.Key + " Invoices export fails", tickets.Hits[0].Title);
        Assert.Equal($"/service/tickets/{ticket.Summary.Id}", tickets.Hits[0].Href);

        // Every word counts: "lindq logis" finds Lindqvist Logistics and not Harbor Foods.
        var customers = await agent.GetFromJsonAsync<SearchResults>("/api/v1/search?q=lindq%20logis", Json.Options);
        var hit = Assert.Single(Assert.Single(customers!.Groups, g => g.Kind == "customers").Hits);
        Assert.Equal(("Lindqvist Logistics", $"/customers/{lindqvist.Id}"), (hit.Title, hit.Href));
        var subject = await agent.GetFromJsonAsync<SearchResults>("/api/v1/search?q=export", Json.Options);
        Assert.Equal(["Invoices export fails"], Assert.Single(subject!.Groups).Hits.Select(h => h.Title[(h.Title.IndexOf(' ') + 1)..]));

        // Users are an administrator's: the same words find Priya for the admin and nothing for a stakeholder.
        var asAdmin = await admin.GetFromJsonAsync<SearchResults>("/api/v1/search?q=priya", Json.Options);
        Assert.Contains(Assert.Single(asAdmin!.Groups, g => g.Kind == "users").Hits, h => h.Title == "Priya Patel");
        var asStakeholder = await stakeholder.GetFromJsonAsync<SearchResults>("/api/v1/search?q=priya", Json.Options);
        Assert.DoesNotContain(asStakeholder!.Groups, g => g.Kind == "users");

        // Symbols a full-text query would choke on are only separators.
        var symbols = await agent.GetFromJsonAsync<SearchResults>("/api/v1/search?q=" + Uri.EscapeDataString("lindq' & | ! :*"), Json.Options);
        Assert.Equal("Lindqvist Logistics", Assert.Single(Assert.Single(symbols!.Groups, g => g.Kind == "customers").Hits).Title);
    }

    [Fact]
    public async Task TheFullTextIndexesFollowRenamesAndDeletes()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Ostrava Optics", email = "eye@ostrava.example", country = "CZ" })).ReadAsync<CustomerDto>();
        Assert.Single((await pm.GetFromJsonAsync<SearchResults>("/api/v1/search?q=ostrava", Json.Options))!.Groups, g => g.Kind == "customers");

        (await pm.PutAsJsonAsync($"/api/v1/customers/{customer.Id}", new { name = "Brno Bearings", email = customer.Email, country = "CZ", version = customer.Version }))
            .EnsureSuccessStatusCode();
        Assert.DoesNotContain((await pm.GetFromJsonAsync<SearchResults>("/api/v1/search?q=ostrava", Json.Options))!.Groups, g => g.Kind == "customers");
        var renamed = Assert.Single(Assert.Single((await pm.GetFromJsonAsync<SearchResults>("/api/v1/search?q=brno%20bear", Json.Options))!.Groups, g => g.Kind == "customers").Hits);
        Assert.Equal(customer.Id, renamed.Id);

        await using var scope = app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        await db.Customers.Where(c => c.Id == customer.Id).ExecuteDeleteAsync();
        Assert.DoesNotContain((await pm.GetFromJsonAsync<SearchResults>("/api/v1/search?q=brno", Json.Options))!.Groups, g => g.Kind == "customers");
        if (db.IsSqlite)
        {
            // A later migration that rebuilds Customers or Tickets on SQLite drops the triggers that keep the FTS5 indexes
            // (migration SearchFts): they must all be there, and each index must agree with its table.
            var triggers = await db.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%Search\\_%' ESCAPE '\\' ORDER BY name").ToListAsync();
            Assert.Equal(["CustomersSearch_Delete", "CustomersSearch_Insert", "CustomersSearch_Update", "TicketsSearch_Delete", "TicketsSearch_Insert", "TicketsSearch_Update"], triggers);
            await db.Database.ExecuteSqlRawAsync("INSERT INTO \"CustomersSearch\"(\"CustomersSearch\", rank) VALUES ('integrity-check', 1)");
            await db.Database.ExecuteSqlRawAsync("INSERT INTO \"TicketsSearch\"(\"TicketsSearch\", rank) VALUES ('integrity-check', 1)");
        }
    }

    [Fact]
    public async Task AQueryTooShortOrWithoutWordsIsRefusedNamingTheField()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        Assert.Contains("at least 2", Assert.Single((await Problems.Errors(await pm.GetAsync("/api/v1/search?q=a")))["q"]));
        Assert.Contains("at least 2", Assert.Single((await Problems.Errors(await pm.GetAsync("/api/v1/search")))["q"]));
        Assert.Contains("letters or digits", Assert.Single((await Problems.Errors(await pm.GetAsync("/api/v1/search?q=%25%25%25")))["q"]));
        Assert.Contains("at most 100", Assert.Single((await Problems.Errors(await pm.GetAsync("/api/v1/search?q=" + new string('x', 101))))["q"]));
        using var anonymous = app.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/search?q=export")).StatusCode);
    }
}
