using System.Net;
using System.Text.Json;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class PlatformTests
{
    [Fact]
    public async Task PublishesAnOpenApiDocumentListingNamedEndpoints()
    {
        await using var app = new PsmServer();
        using var client = app.Anonymous();

        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/customers", out var customers));
        Assert.Equal("ListCustomers", customers.GetProperty("get").GetProperty("operationId").GetString());
        Assert.True(paths.TryGetProperty("/api/v1/users", out _));
        Assert.True(paths.TryGetProperty("/api/v1/me/api-keys", out _));
        var operations = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject()).ToList();
        Assert.All(operations, op =>
        {
            Assert.True(op.Value.TryGetProperty("operationId", out _), $"{op.Name} has no operationId");
            Assert.True(op.Value.TryGetProperty("summary", out _), $"{op.Name} has no summary");
            Assert.True(op.Value.TryGetProperty("tags", out _), $"{op.Name} has no tags");
        });
        Assert.Equal("apiKey", document.RootElement.GetProperty("components").GetProperty("securitySchemes")
            .GetProperty("ApiKey").GetProperty("type").GetString());
    }

    [Fact]
    public async Task ServesTheInteractiveApiReference()
    {
        await using var app = new PsmServer();
        using var client = app.Anonymous();

        var html = await client.GetStringAsync("/api/docs/index.html");

        Assert.Contains("swagger-ui", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ReportsLiveAndReadyHealth()
    {
        await using var app = new PsmServer();
        using var client = app.Anonymous();

        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Returns404ProblemDetailsGivenAnUnknownRecord()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        var response = await client.GetAsync($"/api/v1/customers/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Returns400ProblemDetailsGivenUnreadableJsonWithoutLeakingInternals()
    {
        await using var app = new PsmServer();
        using var client = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));

        var response = await client.PostAsync("/api/v1/customers",
            new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
    }
}
