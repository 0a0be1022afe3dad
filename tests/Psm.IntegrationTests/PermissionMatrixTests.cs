using System.Net.Http.Json;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>
/// Generated from the OpenAPI document: every operation is called anonymously and as every role, and
/// the answer must be what the permission matrix says (401, 403, or anything else for an allowed role).
/// An endpoint that names no permission of the matrix fails here, and so does docs/permissions.md when it
/// no longer says what the code enforces.
/// </summary>
public sealed class PermissionMatrixTests
{
    [Fact]
    public async Task EveryOperationAnswersEachRoleAsTheMatrixSays()
    {
        await using var app = new PsmServer(new() { ["Sla:MonitorSeconds"] = "0" });
        using var anonymous = app.Anonymous();
        var document = (await anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var guarded = PermissionCatalog.Operations(app.Services.GetRequiredService<EndpointDataSource>()).ToDictionary(o => o.Name);
        var clients = new Dictionary<string, HttpClient>();
        foreach (var role in Roles.All)
        {
            clients[role] = await app.ClientFor(PsmServer.EmailOf(role));
        }

        var failures = new List<string>();
        var calls = 0;
        foreach (var (path, methods) in (JsonObject)document["paths"]!)
        {
            foreach (var (method, spec) in (JsonObject)methods!)
            {
                var name = (string)spec!["operationId"]!;
                var url = System.Text.RegularExpressions.Regex.Replace(path, "{[^}]+}", _ => Guid.NewGuid().ToString());
                var contentType = (spec["requestBody"]?["content"] as JsonObject)?.Select(c => c.Key).FirstOrDefault();
                if (path.StartsWith("/api/v1/public/", StringComparison.Ordinal))
                {
                    continue; // public links: anonymous by design, covered by their own tests
                }

                if (!guarded.TryGetValue(name, out var op) || op.Permissions.Count == 0)
                {
                    failures.Add($"{method.ToUpperInvariant()} {path} ({name}) names no permission of the matrix.");
                    continue;
                }

                using (var response = await anonymous.SendAsync(Request(method, url, contentType)))
                {
                    calls++;
                    if (response.StatusCode != HttpStatusCode.Unauthorized)
                    {
                        failures.Add($"{name} anonymously: {(int)response.StatusCode}, expected 401");
                    }
                }

                foreach (var role in Roles.All)
                {
                    using var response = await clients[role].SendAsync(Request(method, url, contentType));
                    calls++;
                    var allowed = op.Roles.Contains(role);
                    var status = response.StatusCode;
                    if (allowed && status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                    {
                        failures.Add($"{name} as {role}: {(int)status}, but the matrix allows it ({string.Join(", ", op.Permissions)})");
                    }
                    else if (!allowed && status != HttpStatusCode.Forbidden)
                    {
                        failures.Add($"{name} as {role}: {(int)status}, but the matrix refuses it ({string.Join(", ", op.Permissions)})");
                    }
                }
            }
        }

        foreach (var client in clients.Values)
        {
            client.Dispose();
        }

        Assert.True(calls > 1000, $"Only {calls} calls were made; the document was not read.");
        Assert.True(failures.Count == 0, $"{failures.Count} answers disagree with the matrix:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task DocsPermissionsSaysWhatTheCodeEnforces()
    {
        await using var app = new PsmServer();
        var rendered = PermissionCatalog.Markdown(PermissionCatalog.Operations(app.Services.GetRequiredService<EndpointDataSource>()));
        var file = Path.Combine(Repository.Root, "docs", "permissions.md");
        if (Environment.GetEnvironmentVariable("PSM_WRITE_DOCS") == "1")
        {
            await File.WriteAllTextAsync(file, rendered);
        }

        Assert.True(File.Exists(file), "docs/permissions.md is missing; run the suite once with PSM_WRITE_DOCS=1.");
        Assert.Equal(rendered.ReplaceLineEndings("\n"), (await File.ReadAllTextAsync(file)).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void EveryRoleHoldsOnlyWhatItsWorkNeeds()
    {
        // The least-privilege promises of the matrix, stated once so a loosened row fails here.
        string[] planners = [Roles.Admin, Roles.ProductManager];
        foreach (var name in new[] { Permissions.CatalogManage, Permissions.StrategyManage, Permissions.RoadmapManage })
        {
            Assert.Equal(planners, Permissions.Get(name).Roles);
        }

        Assert.Equal([Roles.Admin, Roles.SupportLead], Permissions.Get(Permissions.ServiceConfigure).Roles);
        // A stakeholder writes only in their own name: a concern, their account, and alerts and dashboards over what they may read.
        Assert.DoesNotContain(Roles.Stakeholder, Permissions.Matrix.Where(p => p.Action != "Read" && p.Name != Permissions.AlignmentConcern && p.Name != Permissions.AccountSelf
                && p.Name != Permissions.InsightsAlerts && p.Name != Permissions.InsightsDashboards)
            .SelectMany(p => p.Roles));
        Assert.DoesNotContain(Roles.Stakeholder, Permissions.Get(Permissions.CustomersExport).Roles);
        Assert.DoesNotContain(Roles.SupportAgent, Permissions.Get(Permissions.CampaignsAudience).Roles);
    }

    private static HttpRequestMessage Request(string method, string url, string? contentType) => new(new HttpMethod(method.ToUpperInvariant()), url)
    {
        Content = contentType switch
        {
            null => null,
            "text/csv" => new StringContent("name\r\n", Encoding.UTF8, contentType),
            _ => new StringContent("{}", Encoding.UTF8, contentType),
        },
    };
}
