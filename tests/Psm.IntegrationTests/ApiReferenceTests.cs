using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>The OpenAPI document as a client generator reads it: errors declared, descriptions present, examples that work.</summary>
public sealed class ApiReferenceTests
{
    private static IEnumerable<(string Method, string Path, JsonObject Op)> Operations(JsonObject document) =>
        ((JsonObject)document["paths"]!).SelectMany(p => ((JsonObject)p.Value!).Select(o => (o.Key.ToUpperInvariant(), p.Key, (JsonObject)o.Value!)));

    [Fact]
    public async Task EveryOperationDeclaresItsErrorsAsProblemDetailsAndSaysWhoMayCallIt()
    {
        await using var app = new PsmServer(new() { ["Webhooks:PollSeconds"] = "0" });
        using var anonymous = app.Anonymous();
        var document = (await anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var schemas = (JsonObject)document["components"]!["schemas"]!;
        Assert.NotNull(schemas["ProblemDetails"]);
        Assert.NotNull(schemas["ValidationProblemDetails"]!["properties"]!["errors"]);

        var checkedCount = 0;
        foreach (var (method, path, op) in Operations(document))
        {
            var responses = (JsonObject)op["responses"]!;
            var isPublic = path.StartsWith("/api/v1/public/", StringComparison.Ordinal);
            var where = $"{method} {path}";
            Assert.False(string.IsNullOrWhiteSpace((string?)op["description"]), $"{where} has no description.");
            Assert.Contains(responses, r => r.Key.StartsWith('2'));
            if (path.StartsWith("/api/", StringComparison.Ordinal) && !isPublic && path != "/api/v1/me")
            {
                Assert.True(responses.ContainsKey("401") && responses.ContainsKey("403"), $"{where} declares no 401/403.");
                Assert.Equal("#/components/schemas/ProblemDetails", (string?)responses["403"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]);
                Assert.Contains("Needs `", (string)op["description"]!);
            }

            if (isPublic)
            {
                Assert.True(responses.ContainsKey("429"), $"{where} declares no 429.");
                Assert.NotNull(responses["429"]!["headers"]!["Retry-After"]);
            }

            if (op["requestBody"] is not null)
            {
                Assert.Equal("#/components/schemas/ValidationProblemDetails", (string?)responses["400"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]);
            }

            if (path.Contains('{'))
            {
                Assert.True(responses.ContainsKey("404"), $"{where} declares no 404.");
                foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(path, "{([^}]+)}"))
                {
                    Assert.Contains((op["parameters"] as JsonArray ?? []).OfType<JsonObject>(), p => (string?)p["in"] == "path" && (string?)p["name"] == m.Groups[1].Value);
                }
            }

            checkedCount++;
        }

        Assert.True(checkedCount > 250, $"Only {checkedCount} operations were read.");
        // Lists say what a page is.
        Assert.Contains("nextCursor", (string)schemas["PageOfTicketSummary"]!["description"]!);
    }

    [Fact]
    public async Task EveryExampleRequestInTheReferenceSucceedsAgainstAFreshPsm()
    {
        await using var app = new PsmServer(new() { ["Webhooks:PollSeconds"] = "0" });
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var document = (await admin.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var sent = 0;
        foreach (var (method, path, op) in Operations(document))
        {
            if (op["requestBody"]?["content"]?["application/json"]?["example"] is not { } example)
            {
                continue;
            }

            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(example.ToJsonString(), Encoding.UTF8, "application/json") };
            using var response = await admin.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"The example of {op["operationId"]} was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            sent++;
        }

        Assert.True(sent >= 10, $"Only {sent} operations carry an example request.");
        var created = (await admin.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!["paths"]!["/api/v1/webhooks"]!["post"]!["responses"]!["201"]!["content"]!["application/json"]!;
        Assert.NotNull(created["example"]!["secret"]);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Fact]
    public async Task TheSameCreateTwiceWithOneIdempotencyKeyMakesOneRecordAndAnswersTheSame()
    {
        await using var app = new PsmServer(new() { ["Webhooks:PollSeconds"] = "0" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var other = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var body = """{"name":"Idempotent Inc","email":"hi@idempotent.example","country":"FR"}""";

        async Task<HttpResponseMessage> SendAsync(HttpClient client, string key, string json)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/customers") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }

        var key = Guid.NewGuid().ToString();
        var first = await SendAsync(pm, key, body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var second = await SendAsync(pm, key, body);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));

        var customers = await pm.GetFromJsonAsync<JsonObject>("/api/v1/customers?search=Idempotent&limit=50");
        Assert.Single((JsonArray)customers!["items"]!);

        // The same key with another body is refused; another caller's same key is theirs alone; no key creates each time.
        var changed = await SendAsync(pm, key, body.Replace("FR", "DE"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.StatusCode);
        Assert.Contains("another request", await changed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(other, key, body.Replace("Idempotent Inc", "Idempotent Two"))).StatusCode);
        // A validation failure is an answer too: replayed, still nothing created.
        var badKey = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(pm, badKey, """{"name":"","email":"x","country":"FR"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(pm, badKey, """{"name":"","email":"x","country":"FR"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(pm, new string('k', 201), body)).StatusCode);
    }

    [Fact]
    public async Task AKeyHeldByAFirstRequestThatDiedWithItsInstanceIsTakenOverByTheNextRetryAndOneStillRunningIsNot()
    {
        await using var app = new PsmServer(new() { ["Webhooks:PollSeconds"] = "0" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        Guid owner;
        using (var scope = app.Services.CreateScope())
        {
            owner = (await scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Psm.Web.Features.Account.PsmUser>>()
                .FindByEmailAsync(PsmServer.EmailOf(Roles.ProductManager)))!.Id;
        }

        // Two claims as an instance leaves them while it runs the first request: one whose heartbeat stopped a minute ago
        // (its instance was killed), one that beat a moment ago.
        string Body(string name) => $$"""{"name":"{{name}}","email":"ops@{{name.ToLowerInvariant()}}.example","country":"FR"}""";
        var now = DateTimeOffset.UtcNow;
        var (dead, alive) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Psm.Web.Data.PsmDb>();
            foreach (var (key, name, until) in new[] { (dead, "Orphaned", now.AddMinutes(-1)), (alive, "Running", now.AddSeconds(50)) })
            {
                db.IdempotencyRecords.Add(new Psm.Web.Infrastructure.Http.IdempotencyRecord
                {
                    Owner = owner.ToString(), Key = key, Method = "POST", Path = "/api/v1/customers", CreatedAt = now.AddMinutes(-2), RunningUntil = until,
                    RequestHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Body(name)))),
                });
            }

            await db.SaveChangesAsync();
        }

        async Task<HttpResponseMessage> SendAsync(string key, string json)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/customers") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", key);
            return await pm.SendAsync(request);
        }

        // The dead claim: another body is still refused, the same request runs once and is then answered from its record.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(dead, Body("Other"))).StatusCode);
        var taken = await SendAsync(dead, Body("Orphaned"));
        Assert.Equal(HttpStatusCode.Created, taken.StatusCode);
        Assert.False(taken.Headers.Contains("Idempotent-Replayed"));
        var replayed = await SendAsync(dead, Body("Orphaned"));
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        // The live claim: the retry waits for the first request's answer.
        var waiting = await SendAsync(alive, Body("Running"));
        Assert.Equal(HttpStatusCode.Conflict, waiting.StatusCode);
        Assert.Contains("still running", await waiting.Content.ReadAsStringAsync());

        var made = await pm.GetFromJsonAsync<JsonObject>("/api/v1/customers?limit=50");
        Assert.Equal(["Orphaned"], ((JsonArray)made!["items"]!).Select(c => (string)c!["name"]!).Where(n => n is "Orphaned" or "Running" or "Other"));
    }

    [Fact]
    public async Task AKeyCanBeLimitedToAreasExpiresAndIsRateLimitedOnItsOwn()
    {
        await using var app = new PsmServer(new() { ["Webhooks:PollSeconds"] = "0", ["ApiKeys:RequestsPerMinute"] = "5" });
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        async Task<HttpClient> KeyAsync(object input)
        {
            var made = await admin.PostAsJsonAsync("/api/v1/me/api-keys", input);
            Assert.True(made.StatusCode == HttpStatusCode.Created, await made.Content.ReadAsStringAsync());
            var token = (string)(await made.ReadAsync<JsonObject>())["token"]!;
            var client = app.Anonymous();
            client.DefaultRequestHeaders.Add("X-Api-Key", token);
            return client;
        }

        Assert.Contains("areas[0]", (await Problems.Errors(await admin.PostAsJsonAsync("/api/v1/me/api-keys", new { name = "Bad", areas = new[] { "Everything" } }))).Keys);
        Assert.Contains("expiresInDays", (await Problems.Errors(await admin.PostAsJsonAsync("/api/v1/me/api-keys", new { name = "Bad", expiresInDays = 0 }))).Keys);

        // Limited to Customers: customers yes, tickets no (403 naming the limit), its own account yes.
        using var crm = await KeyAsync(new { name = "CRM sync", scope = "ReadWrite", areas = new[] { "Customers" }, expiresInDays = 30 });
        Assert.Equal(HttpStatusCode.OK, (await crm.GetAsync("/api/v1/customers")).StatusCode);
        var refused = await crm.GetAsync("/api/v1/tickets");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("limited to Customers", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await crm.GetAsync("/api/v1/me/api-keys")).StatusCode);

        // Five requests a minute per key (the refused one counts): the sixth gets 429 with Retry-After; another key still works.
        Assert.Equal(HttpStatusCode.OK, (await crm.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await crm.GetAsync("/api/v1/customers")).StatusCode);
        var sixth = await crm.GetAsync("/api/v1/customers");
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
        Assert.True(int.Parse(sixth.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.Contains("This API key", await sixth.Content.ReadAsStringAsync());
        using var fresh = await KeyAsync(new { name = "Reports" });
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/v1/tickets")).StatusCode);

        // An expired key is refused like an unknown one.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Psm.Web.Data.PsmDb>();
            await db.ApiKeys.Where(k => k.Name == "Reports").ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));

            // Written behind PSM's back, so its short-lived key cache is told to forget.
            scope.ServiceProvider.GetRequiredService<Psm.Web.Infrastructure.Auth.ApiKeyCache>().Forget();
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.GetAsync("/api/v1/tickets")).StatusCode);
    }
}
