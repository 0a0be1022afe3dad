using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Admin;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class AdminApiTests
{
    [Fact]
    public async Task CreatesAUserWithAGeneratedPasswordTheyCanUse()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        var response = await admin.PostAsJsonAsync("/api/v1/users",
            new { email = "lena@northwind.test", displayName = "Lena Legal", roles = new[] { "Stakeholder" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync<CreatedUser>();
        Assert.Equal(["Stakeholder"], created.User.Roles);
        Assert.NotNull(created.GeneratedPassword);
        Assert.True(created.GeneratedPassword!.Length >= 16);
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Psm.Web.Features.Account.PsmUser>>();
        var user = await users.FindByEmailAsync("lena@northwind.test");
        Assert.True(await users.CheckPasswordAsync(user!, created.GeneratedPassword));
    }

    [Fact]
    public async Task Returns400GivenADuplicateEmailOrUnknownRole()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        var duplicate = await admin.PostAsJsonAsync("/api/v1/users",
            new { email = PsmServer.EmailOf(Roles.Marketer), displayName = "Again", roles = new[] { "Marketer" } });
        var unknownRole = await admin.PostAsJsonAsync("/api/v1/users",
            new { email = "x@northwind.test", displayName = "X", roles = new[] { "Overlord" } });

        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("Email", (await duplicate.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, unknownRole.StatusCode);
        Assert.Contains("Roles", (await unknownRole.ReadAsync<ProblemBody>()).Errors!.Keys);
    }

    [Fact]
    public async Task ChangesRolesAndRecordsItInTheAuditLog()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var users = await admin.GetFromJsonAsync<List<UserDto>>("/api/v1/users", Json.Options);
        var marketer = users!.Single(u => u.Email == PsmServer.EmailOf(Roles.Marketer));

        var response = await admin.PutAsJsonAsync($"/api/v1/users/{marketer.Id}/roles", new { roles = new[] { "Marketer", "ProductManager" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Marketer", "ProductManager"], (await response.ReadAsync<UserDto>()).Roles);
        var audit = await admin.GetFromJsonAsync<Psm.Web.Infrastructure.Http.Page<AuditEntryDto>>(
            "/api/v1/audit?entity=UserRole&action=Created", Json.Options);
        Assert.Contains(audit!.Items, e => e.EntityKey.StartsWith(marketer.Id.ToString()) && e.UserName == PsmServer.EmailOf(Roles.Admin));
    }

    [Fact]
    public async Task RefusesToLetAnAdminDeactivateThemselves()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var users = await admin.GetFromJsonAsync<List<UserDto>>("/api/v1/users", Json.Options);
        var self = users!.Single(u => u.Email == PsmServer.EmailOf(Roles.Admin));

        var response = await admin.PostAsync($"/api/v1/users/{self.Id}/deactivate", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ExportsTheFilteredAuditLogAndTheUsersAsCsv()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        await admin.PostAsJsonAsync("/api/v1/customers", new { name = "Orchid Clinic", email = "o@example.com", country = "IT", employees = 30 });

        var audit = await admin.GetAsync("/api/v1/audit/export.csv?entity=Customer");
        var users = await admin.GetStringAsync("/api/v1/users/export.csv");

        Assert.Equal("text/csv", audit.Content.Headers.ContentType?.MediaType);
        var lines = (await audit.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("at,user,action,entity,key,changes", lines[0]);
        var entry = Assert.Single(lines[1..]);
        Assert.Contains($",{PsmServer.EmailOf(Roles.Admin)},Created,Customer,", entry);
        Assert.Contains("Orchid Clinic", entry);
        Assert.Contains("stakeholder@northwind.test,Stefan Finance,Stakeholder,yes,", users);
    }
}
