using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Psm.Web.Data;

namespace Psm.IntegrationTests;

/// <summary>One operation of PSM's OpenAPI document, as the generated tests walk them.</summary>
public sealed record Operation(string Method, string Path, string Id, JsonObject Spec)
{
    public IEnumerable<JsonObject> QueryParameters =>
        (Spec["parameters"] as JsonArray ?? []).OfType<JsonObject>().Where(p => (string?)p["in"] == "query");

    public JsonNode? BodySchema => Spec["requestBody"]?["content"]?["application/json"]?["schema"];

    public bool IsPublic => Path.StartsWith("/api/v1/public/", StringComparison.Ordinal);

    public override string ToString() => $"{Method} {Path} ({Id})";
}

/// <summary>
/// Reads the OpenAPI document PSM serves and fills path parameters with real records of a seeded
/// database, so that generated calls reach the code behind validation, not just the router.
/// </summary>
public sealed class OpenApiOperations
{
    private readonly JsonObject schemas;
    private readonly Dictionary<string, string> ids;

    private OpenApiOperations(JsonObject document, Dictionary<string, string> ids)
    {
        schemas = document["components"]?["schemas"] as JsonObject ?? [];
        this.ids = ids;
        All = ((JsonObject)document["paths"]!)
            .SelectMany(path => ((JsonObject)path.Value!).Select(op =>
                new Operation(op.Key.ToUpperInvariant(), path.Key, (string?)op.Value!["operationId"] ?? $"{op.Key} {path.Key}", (JsonObject)op.Value!)))
            .ToList();
    }

    public IReadOnlyList<Operation> All { get; }

    public static async Task<OpenApiOperations> ReadAsync(PsmServer app, HttpClient admin, HttpClient spareKeyOwner)
    {
        using var anonymous = app.Anonymous();
        var document = (await anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        return new OpenApiOperations(document, await RealIdsAsync(app, admin, spareKeyOwner));
    }

    /// <summary>The path with each {parameter} replaced by a real record's id (or key, or token).</summary>
    public string Fill(Operation op) =>
        System.Text.RegularExpressions.Regex.Replace(op.Path, "{(?<name>[^}:]+)(:[^}]*)?}", m =>
            Uri.EscapeDataString(IdFor(op.Path[..m.Index], m.Groups["name"].Value)));

    private string IdFor(string before, string name)
    {
        var owner = before.TrimEnd('/').Split('/').Last();
        var key = name == "id" ? owner : name;
        return ids.TryGetValue(key, out var id) ? id
            : ids.TryGetValue(owner + "/" + name, out id) ? id
            : Guid.NewGuid().ToString();
    }

    /// <summary>The id a body field should carry: a real one where the seeded data has it.</summary>
    public string? IdForField(string field)
    {
        var name = field.EndsWith("Ids", StringComparison.Ordinal) ? field[..^3] : field.EndsWith("Id", StringComparison.Ordinal) ? field[..^2] : null;
        if (name is null)
        {
            return null;
        }

        return name switch
        {
            "owner" or "assignee" or "user" or "agent" or "lead" => ids["me"],
            _ => ids.TryGetValue(name + "s", out var id) ? id : ids.TryGetValue(name, out id) ? id : null,
        };
    }

    /// <summary>The record's current concurrency token, read from the GET beside a PUT, so a hostile value is the only thing wrong.</summary>
    public async Task<string?> CurrentVersionAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return response.IsSuccessStatusCode ? FindVersion(await response.Content.ReadFromJsonAsync<JsonNode>()) : null;

        static string? FindVersion(JsonNode? node) => node switch
        {
            JsonObject o when o["version"] is JsonValue v => (string?)v,
            JsonObject o => o.Select(p => FindVersion(p.Value)).FirstOrDefault(v => v is not null),
            _ => null,
        };
    }

    public JsonObject? Resolve(JsonNode? schema)
    {
        for (var i = 0; i < 10 && schema is JsonObject o; i++)
        {
            if (o["$ref"] is { } reference)
            {
                schema = schemas[((string)reference!).Split('/').Last()];
            }
            else if ((o["oneOf"] ?? o["anyOf"]) is JsonArray choices)
            {
                schema = choices.FirstOrDefault(c => c is JsonObject choice && (string?)choice["type"] != "null");
            }
            else
            {
                break;
            }
        }

        return schema as JsonObject;
    }

    public static string? TypeOf(JsonObject schema) => schema["type"] switch
    {
        JsonValue v => (string?)v,
        JsonArray a => a.Select(t => (string?)t).FirstOrDefault(t => t != "null"),
        _ => schema["enum"] is not null ? "string" : schema["properties"] is not null ? "object" : null,
    };

    /// <summary>A body that passes the documented rules, so each hostile value is the only thing wrong.</summary>
    public JsonNode? Sample(JsonNode? schemaNode, string field = "", int depth = 0)
    {
        var schema = Resolve(schemaNode);
        if (schema is null || depth > 4)
        {
            return null;
        }

        if (schema["enum"] is JsonArray values)
        {
            return values.FirstOrDefault(v => v is not null)?.DeepClone();
        }

        var format = (string?)schema["format"];
        switch (TypeOf(schema))
        {
            case "object":
                var body = new JsonObject();
                foreach (var (name, property) in schema["properties"] as JsonObject ?? [])
                {
                    body[name] = Sample(property, name, depth + 1);
                }

                return body;
            case "array":
                return Sample(schema["items"], field, depth + 1) is { } item ? new JsonArray(item) : new JsonArray();
            case "boolean":
                return false;
            case "integer" or "number":
                return JsonValue.Create(Number(schema["minimum"]) is { } min && min > 1 ? min : 1m);
            case "string" when format == "uuid":
                return IdForField(field);
            case "string" when format == "date":
                return "2026-06-01";
            case "string" when format == "time":
                return field.Contains("close", StringComparison.OrdinalIgnoreCase) ? "17:00:00" : "09:00:00";
            case "string" when format == "date-time":
                return "2026-06-01T09:00:00Z";
            case "string":
                var lower = field.ToLowerInvariant();
                var text = lower.Contains("email") ? $"hostile{Guid.NewGuid():N}@example.test"
                    : lower.Contains("country") ? "DE"
                    : lower.Contains("currency") ? "EUR"
                    : lower.Contains("timezone") || lower.Contains("timeZone".ToLowerInvariant()) ? "Europe/Berlin"
                    : lower.Contains("url") ? "https://example.test/x"
                    : lower.Contains("password") ? "Hostile-pass-2026"
                    : lower.Contains("role") ? "Stakeholder"
                    : lower.Contains("color") || lower.Contains("colour") ? "#336699"
                    : $"Hostile check {Guid.NewGuid():N}"[..Math.Min(40, (int)(Number(schema["maxLength"]) ?? 40))];
                return text;
            default:
                return null;
        }
    }

    public static decimal? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<decimal>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) && decimal.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static async Task<Dictionary<string, string>> RealIdsAsync(PsmServer app, HttpClient admin, HttpClient spareKeyOwner)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        var ids = new Dictionary<string, string>();

        async Task Add<T>(string key, IQueryable<T> query)
        {
            if (await query.FirstOrDefaultAsync() is { } value)
            {
                ids[key] = value.ToString()!;
            }
        }

        var me = await admin.GetFromJsonAsync<JsonObject>("/api/v1/me");
        ids["me"] = (string)me!["id"]!;
        var customer = await db.Customers.OrderBy(c => c.Id).Select(c => c.Id).FirstAsync();
        ids["customers"] = customer.ToString();
        var contact = await admin.PostAsJsonAsync($"/api/v1/customers/{customer}/contacts", new { name = "Hostile Contact", email = "contact@example.test" });
        ids["customers/contactId"] = (string)(await contact.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        await Add("products", db.Products.OrderBy(p => p.Id).Select(p => p.Id));
        await Add("services", db.Services.OrderBy(p => p.Id).Select(p => p.Id));
        await Add("objectives", db.Objectives.OrderBy(p => p.Id).Select(p => p.Id));
        await Add("key-results", db.KeyResults.OrderBy(p => p.Id).Select(p => p.Id));
        await Add("keyResults", db.KeyResults.OrderBy(p => p.Id).Select(p => p.Id));
        await Add("initiatives", db.Initiatives.OrderBy(p => p.Id).Select(p => p.Id));
        await Add("initiativeId", db.Initiatives.OrderBy(p => p.Id).Select(p => p.Id));
        await Add("reviews", db.RoadmapReviews.Select(p => p.Id));
        await Add("retrospectives", db.Retrospectives.Select(p => p.Id));
        await Add("action-items", db.ActionItems.Select(p => p.Id));
        await Add("shares", db.RoadmapShares.Select(p => p.Id));
        await Add("stakeholders", db.Stakeholders.Select(p => p.Id));
        await Add("concerns", db.Concerns.Select(p => p.Id));
        await Add("decisions", db.Decisions.Select(p => p.Id));
        await Add("feedback", db.Feedback.Select(p => p.Id));
        await Add("themes", db.Themes.Select(p => p.Id));
        await Add("surveys", db.Surveys.Select(p => p.Id));
        await Add("segments", db.Segments.Select(p => p.Id));
        await Add("personas", db.Personas.Select(p => p.Id));
        await Add("journey-maps", db.Set<Psm.Web.Features.Customers.JourneyStage>().Select(p => p.MapId));
        await Add("journeyMaps", db.JourneyMaps.Select(p => p.Id));
        await Add("campaigns", db.Campaigns.Select(p => p.Id));
        await Add("subscriptions", db.Subscriptions.Where(s => s.CancelledOn == null).Select(p => p.Id));
        await Add("tickets", db.Tickets.Select(p => p.Id));
        await Add("by-key", db.Tickets.Select(p => "T-" + p.Number));
        await Add("teams", db.Teams.Select(p => p.Id));
        if (await db.TeamMembers.FirstOrDefaultAsync() is { } member)
        {
            ids["teams"] = member.TeamId.ToString();
            ids["teams/userId"] = member.UserId.ToString();
        }

        await Add("journey-maps/stageId", db.Set<Psm.Web.Features.Customers.JourneyStage>().Select(p => p.Id));
        await Add("touchpoints", db.Set<Psm.Web.Features.Customers.Touchpoint>().Select(p => p.Id));
        await Add("calendars", db.ServiceCalendars.Select(p => p.Id));
        await Add("policies", db.SlaPolicies.Select(p => p.Id));
        await Add("notifications", db.Notifications.Select(p => p.Id));
        await Add("orders", db.Orders.Select(p => p.Id));
        await Add("invitations", db.SurveyInvitations.Where(i => i.AnsweredAt == null).Select(p => p.Token));
        await Add("surveys/token", db.Surveys.Select(p => p.Token));
        await Add("roadmaps", db.RoadmapShares.Where(s => s.RevokedAt == null).Select(p => p.Token));
        var mailbox = await admin.PostAsJsonAsync("/api/v1/mail/mailboxes", new
        {
            name = "Hostile mailbox", address = $"hostile{Guid.NewGuid():N}@example.test", imapHost = "127.0.0.1", imapPort = 9, imapSecurity = "None",
            imapUser = "nobody", imapPassword = "nothing", folder = "INBOX", smtpHost = "127.0.0.1", smtpPort = 9, smtpSecurity = "None",
        });
        ids["mailboxes"] = (string)(await mailbox.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        await Add("events/eventId", db.TicketEvents.Where(e => e.Kind == Psm.Web.Features.ServiceDesk.TicketEventKind.CustomerMessage).Select(p => p.Id));
        ids["metrics"] = "survey.nps";
        ids["survey-scores"] = "Nps";
        ids["status"] = "Active";

        // Paths that act on a user or an API key act on spare ones, never on the caller's own.
        var spare = await admin.PostAsJsonAsync("/api/v1/users", new { email = $"spare{Guid.NewGuid():N}@example.test", displayName = "Spare", roles = new[] { "Stakeholder" } });
        ids["users"] = (string)(await spare.Content.ReadFromJsonAsync<JsonObject>())!["user"]?["id"]!
            ?? throw new InvalidOperationException("Could not create the spare user.");
        var key = await spareKeyOwner.PostAsJsonAsync("/api/v1/me/api-keys", new { name = "spare", scope = "Read" });
        ids["api-keys"] = (string)(await key.Content.ReadFromJsonAsync<JsonObject>())!["key"]?["id"]!;
        return ids;
    }
}

