using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Psm.Web.Infrastructure.Auth;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

public sealed class PublicLinksAndAccountTests
{
    [Fact]
    public async Task PublicLinksShareOneLimitPerAddressAndSayWhenToComeBack()
    {
        await using var app = new PsmServer(new() { ["Surveys:PublicAnswersPerMinute"] = "3" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Pulse", kind = "Nps", question = "Would you recommend us?" }))
            .ReadAsync<JsonObject>();
        var token = (string)survey["token"]!;
        using var visitor = app.Anonymous();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync($"/api/v1/public/surveys/{token}")).StatusCode);
        }

        var api = await visitor.GetAsync($"/api/v1/public/surveys/{token}");
        Assert.Equal(HttpStatusCode.TooManyRequests, api.StatusCode);
        Assert.True(int.Parse(api.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ToString("0")) is > 0 and <= 60);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
        var page = await visitor.GetAsync($"/share/{Guid.NewGuid():N}");
        Assert.Equal(HttpStatusCode.TooManyRequests, page.StatusCode);
        Assert.Contains("Try again in", await page.Content.ReadAsStringAsync());
        Assert.NotNull(page.Headers.RetryAfter);
    }

    [Fact]
    public async Task AnAnonymousLinkTakesOneAnswerPerBrowserPerWave()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var survey = await (await pm.PostAsJsonAsync("/api/v1/surveys", new { name = "Pulse", kind = "Nps", question = "Would you recommend us?" }))
            .ReadAsync<JsonObject>();
        var token = (string)survey["token"]!;
        using var browser = app.Anonymous();
        using var another = app.Anonymous();

        Assert.Equal(HttpStatusCode.Created, (await browser.PostAsJsonAsync($"/api/v1/public/surveys/{token}/responses", new { score = 9 })).StatusCode);
        var again = await browser.PostAsJsonAsync($"/api/v1/public/surveys/{token}/responses", new { score = 10 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already answered", await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Created, (await another.PostAsJsonAsync($"/api/v1/public/surveys/{token}/responses", new { score = 7 })).StatusCode);

        (await pm.PostAsync($"/api/v1/surveys/{survey["id"]}/waves", null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Created, (await browser.PostAsJsonAsync($"/api/v1/public/surveys/{token}/responses", new { score = 8 })).StatusCode);
    }

    [Fact]
    public async Task EveryResponseCarriesTheSecurityHeaders()
    {
        await using var app = new PsmServer();
        using var anonymous = app.Anonymous();
        foreach (var path in new[] { "/account/sign-in", "/api/docs/index.html", "/openapi/v1.json", "/api/v1/customers" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Contains("script-src 'self';", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        }
    }

    [Fact]
    public async Task AUserChangesTheirPasswordOnlyWithTheCurrentOneAndAnAdminIssuesResetLinks()
    {
        await using var app = new PsmServer();
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        var wrong = await marketer.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = "not-it-at-all", newPassword = "Mia-new-pass-2026" });
        Assert.Contains("currentPassword", (await Errors(wrong)).Keys);
        var tooShort = await marketer.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = Psm.Web.Data.Demo.DemoData.Password, newPassword = "short" });
        Assert.Contains("NewPassword", (await Errors(tooShort)).Keys, StringComparer.OrdinalIgnoreCase);
        var changed = await marketer.PostAsJsonAsync("/api/v1/me/password", new { currentPassword = Psm.Web.Data.Demo.DemoData.Password, newPassword = "Mia-new-pass-2026" });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        var users = await admin.GetFromJsonAsync<JsonArray>("/api/v1/users");
        var mia = (string)users!.Single(u => (string)u!["email"]! == PsmServer.EmailOf(Roles.Marketer))!["id"]!;
        Assert.Equal(HttpStatusCode.Forbidden, (await marketer.PostAsync($"/api/v1/users/{mia}/password-reset", null)).StatusCode);
        var reset = await (await admin.PostAsync($"/api/v1/users/{mia}/password-reset", null)).ReadAsync<JsonObject>();
        Assert.StartsWith("/account/reset?email=", (string)reset["link"]!);
        Assert.True(DateTimeOffset.Parse((string)reset["expiresAt"]!) > DateTimeOffset.UtcNow.AddHours(23));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/users/{Guid.NewGuid()}/password-reset", null)).StatusCode);
    }
}
