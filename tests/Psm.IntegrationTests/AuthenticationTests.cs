using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class AuthenticationTests
{
    [Fact]
    public async Task Returns401ProblemDetailsGivenNoCredentials()
    {
        await using var app = new PsmServer();
        using var client = app.Anonymous();

        var response = await client.GetAsync("/api/v1/customers");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadAsync<ProblemBody>();
        Assert.Equal(401, problem.Status);
        Assert.Contains(ApiKey.HeaderName, problem.Detail);
    }

    [Fact]
    public async Task APersonsDarkModeIsTheirsAndStaysUntilTheyChangeIt()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.False((await pm.GetFromJsonAsync<PreferencesDto>("/api/v1/me/preferences", Json.Options))!.DarkMode);

        var saved = await (await pm.PutAsJsonAsync("/api/v1/me/preferences", new { darkMode = true })).ReadAsync<PreferencesDto>();
        Assert.True(saved.DarkMode);
        // A field left out stays as it is; another person's choice is their own.
        Assert.True((await (await pm.PutAsJsonAsync("/api/v1/me/preferences", new { })).ReadAsync<PreferencesDto>()).DarkMode);
        Assert.True((await pm.GetFromJsonAsync<PreferencesDto>("/api/v1/me/preferences", Json.Options))!.DarkMode);
        Assert.False((await agent.GetFromJsonAsync<PreferencesDto>("/api/v1/me/preferences", Json.Options))!.DarkMode);
        Assert.Equal(HttpStatusCode.BadRequest, (await pm.PutAsJsonAsync("/api/v1/me/preferences", new { darkMode = "sometimes" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/api/v1/me/preferences")).StatusCode);
    }

    [Fact]
    public async Task APersonsTimeZoneDateStyleAndClosedNavigationGroupsAreCheckedAndKept()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var fresh = await pm.GetFromJsonAsync<PreferencesDto>("/api/v1/me/preferences", Json.Options);
        Assert.Equal((null, DateStyle.DayMonthName, (IReadOnlyList<string>?)null), (fresh!.TimeZone, fresh.DateStyle, fresh.CollapsedNavGroups));

        var saved = await (await pm.PutAsJsonAsync("/api/v1/me/preferences",
            new { timeZone = "Asia/Tokyo", dateStyle = "Iso", collapsedNavGroups = new[] { "Promotion", "Roadmap" } })).ReadAsync<PreferencesDto>();
        Assert.Equal(("Asia/Tokyo", DateStyle.Iso), (saved.TimeZone, saved.DateStyle));
        Assert.Equal(["Roadmap", "Promotion"], saved.CollapsedNavGroups!);
        Assert.Equal("2026-12-03, 00:30", PreferencesDto.Format(TimeZoneInfo.ConvertTime(new DateTimeOffset(2026, 12, 2, 15, 30, 0, TimeSpan.Zero),
            TimeZoneInfo.FindSystemTimeZoneById(saved.TimeZone!)), saved.DateStyle, dateOnly: false));
        Assert.Equal("12/02/2026, 3:30 PM", PreferencesDto.Format(new DateTimeOffset(2026, 12, 2, 15, 30, 0, TimeSpan.Zero), DateStyle.MonthDayYear, dateOnly: false));

        // Each refusal names its field and changes nothing; "" follows the browser again.
        Assert.Contains("not a time zone", Assert.Single((await Problems.Errors(await pm.PutAsJsonAsync("/api/v1/me/preferences", new { timeZone = "Mars/Olympus" })))["timeZone"]));
        Assert.Contains("not a navigation group", Assert.Single((await Problems.Errors(await pm.PutAsJsonAsync("/api/v1/me/preferences", new { collapsedNavGroups = new[] { "Secrets" } })))["collapsedNavGroups"]));
        Assert.Contains("dateStyle", (await Problems.Errors(await pm.PutAsJsonAsync("/api/v1/me/preferences", new { dateStyle = "Roman" }))).Keys);
        Assert.Equal("Asia/Tokyo", (await pm.GetFromJsonAsync<PreferencesDto>("/api/v1/me/preferences", Json.Options))!.TimeZone);
        Assert.Null((await (await pm.PutAsJsonAsync("/api/v1/me/preferences", new { timeZone = "" })).ReadAsync<PreferencesDto>()).TimeZone);
    }

    [Fact]
    public async Task AcceptsAValidApiKeyAndRejectsItOnceRevoked()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        var me = await client.GetFromJsonAsync<MeDto>("/api/v1/me", Json.Options);
        Assert.Equal(PsmServer.EmailOf(Roles.ProductManager), me!.Email);
        Assert.Equal("ApiKey", me.AuthenticatedBy);

        var keys = await client.GetFromJsonAsync<List<ApiKeyDto>>("/api/v1/me/api-keys", Json.Options);
        var key = Assert.Single(keys!);
        Assert.NotNull(key.LastUsedAt);
        var revoke = await client.DeleteAsync($"/api/v1/me/api-keys/{key.Id}");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        var after = await client.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task AKeyReadFromTheCacheStopsWorkingOnEveryInstanceWithinSecondsOfRevocationOrDeactivation()
    {
        await using var one = new PsmServer(new() { ["ApiKeys:CacheSeconds"] = "2" });
        await using var two = new PsmServer(new(one.SameDatabase()) { ["ApiKeys:CacheSeconds"] = "2" });
        var token = await one.IssueKeyAsync(PsmServer.EmailOf(Roles.ProductManager));
        using var onOne = one.ClientWithKey(token);
        using var onTwo = two.ClientWithKey(token);
        var key = Assert.Single((await onOne.GetFromJsonAsync<List<ApiKeyDto>>("/api/v1/me/api-keys", Json.Options))!);
        Assert.Equal(HttpStatusCode.OK, (await onTwo.GetAsync("/api/v1/me")).StatusCode);

        // Revoked on one instance: refused there at once, and on the other once its entry expires.
        Assert.Equal(HttpStatusCode.OK, (await onOne.DeleteAsync($"/api/v1/me/api-keys/{key.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await onOne.GetAsync("/api/v1/me")).StatusCode);
        await RefusedWithinAsync(onTwo, TimeSpan.FromSeconds(6));

        // Deactivating the owner ends a cached key the same way.
        var stakeholderToken = await one.IssueKeyAsync(PsmServer.EmailOf(Roles.Stakeholder));
        using var stakeholder = one.ClientWithKey(stakeholderToken);
        Assert.Equal(HttpStatusCode.OK, (await stakeholder.GetAsync("/api/v1/me")).StatusCode);
        using var admin = await one.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var stakeholderId = (await admin.GetFromJsonAsync<List<Psm.Web.Features.Admin.UserDto>>("/api/v1/users", Json.Options))!
            .Single(u => u.Email == PsmServer.EmailOf(Roles.Stakeholder)).Id;
        (await admin.PostAsync($"/api/v1/users/{stakeholderId}/deactivate", null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Unauthorized, (await stakeholder.GetAsync("/api/v1/me")).StatusCode);
    }

    private static async Task RefusedWithinAsync(HttpClient client, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while ((await client.GetAsync("/api/v1/me")).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The revoked key still worked {limit.TotalSeconds} s later.");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Returns401GivenAnUnknownOrMalformedKey()
    {
        await using var app = new PsmServer();
        var issued = await app.IssueKeyAsync(PsmServer.EmailOf(Roles.Admin));
        using var client = app.Anonymous();

        foreach (var token in new[] { "not-a-key", issued[..^2] + "xx", "psm_000000000000_whatever" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            request.Headers.Add(ApiKey.HeaderName, token);
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task StoresOnlyAHashOfTheKey()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        var issued = await (await client.PostAsJsonAsync("/api/v1/me/api-keys",
            new { name = "CRM sync", scope = "Read" }, Json.Options)).ReadAsync<IssuedApiKey>();

        Assert.StartsWith("psm_", issued.Token);
        var listed = await client.GetStringAsync("/api/v1/me/api-keys");
        Assert.DoesNotContain(issued.Token, listed);
        // The secret is everything after the second underscore; it may itself contain underscores.
        Assert.DoesNotContain(issued.Token.Split('_', 3)[2], listed);
    }

    [Fact]
    public async Task RefusesWritesWithAReadOnlyKey()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager), ApiKeyScope.Read);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/customers")).StatusCode);
        var write = await client.PostAsJsonAsync("/api/v1/customers",
            new { name = "Read Only Ltd", email = "ro@example.com", country = "GB", employees = 5 });

        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Contains("read-only", (await write.ReadAsync<ProblemBody>()).Detail);
    }

    [Fact]
    public async Task ForbidsAStakeholderFromAdminEndpointsAndFromEditing()
    {
        await using var app = new PsmServer();
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));

        var users = await stakeholder.GetAsync("/api/v1/users");
        var audit = await stakeholder.GetAsync("/api/v1/audit");
        var create = await stakeholder.PostAsJsonAsync("/api/v1/customers",
            new { name = "Nope Inc", email = "nope@example.com", country = "US", employees = 5 });

        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal("application/problem+json", users.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await stakeholder.GetAsync("/api/v1/customers")).StatusCode);
    }

    [Fact]
    public async Task DeactivatedUsersKeysStopWorking()
    {
        await using var app = new PsmServer();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/api/v1/me")).StatusCode);

        var users = await admin.GetFromJsonAsync<List<Psm.Web.Features.Admin.UserDto>>("/api/v1/users", Json.Options);
        var agentId = users!.Single(u => u.Email == PsmServer.EmailOf(Roles.SupportAgent)).Id;
        var deactivate = await admin.PostAsync($"/api/v1/users/{agentId}/deactivate", null);
        Assert.Equal(HttpStatusCode.OK, deactivate.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task RedirectsAnAnonymousPageVisitToSignIn()
    {
        await using var app = new PsmServer();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };

        var response = await client.GetAsync("/customers");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/sign-in", response.Headers.Location!.AbsolutePath);
        Assert.Contains("ReturnUrl=%2Fcustomers", response.Headers.Location!.Query, StringComparison.OrdinalIgnoreCase);
    }
}

public sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail, Dictionary<string, string[]>? Errors);
