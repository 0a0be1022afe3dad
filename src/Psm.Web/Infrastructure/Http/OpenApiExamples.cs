using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.OpenApi;

namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// Example requests (and a few responses) for the main operations of each area. An integration test sends every request
/// example to a fresh PSM and expects it to succeed, so an example that drifts from the API fails the suite.
/// </summary>
public static class OpenApiExamples
{
    public static readonly IReadOnlyDictionary<string, string> Requests = new Dictionary<string, string>
    {
        ["CreateCustomer"] = """{"name":"Aurora Labs","email":"ops@aurora.example","country":"DE","industry":"Software","employees":120,"plan":"Growth","region":"EMEA"}""",
        ["CreateProduct"] = """{"name":"Northwind Analytics","description":"Dashboards for operations teams.","uniqueSellingProposition":"Answers in one click","stage":"Growth"}""",
        ["CreateFeedback"] = """{"text":"Exporting a report to CSV takes minutes for large accounts.","channel":"Email","rating":2}""",
        ["CreateObjective"] = """{"title":"Raise support satisfaction","description":"Customers rate support 4 or 5 more often.","type":"CustomerSatisfaction","periodStart":"2027-01-01","periodEnd":"2027-03-31"}""",
        ["CreateInitiative"] = """{"title":"Faster CSV export","problem":"Large exports time out.","expectedOutcome":"Exports of 100k rows finish within 10 seconds.","team":"Data"}""",
        ["RecordDecision"] = """{"title":"Stream exports instead of building them in memory","context":"Exports time out for large accounts.","optionsConsidered":"Bigger servers; background jobs; streaming.","outcome":"Stream exports.","rationale":"Cheapest and fixes the cause.","decidedOn":"2026-11-20","decidedBy":"Product council"}""",
        ["CreateSurvey"] = """{"name":"Quarterly NPS","kind":"Nps","question":"How likely are you to recommend Northwind to a colleague?","followUpQuestion":"What is the main reason for your score?"}""",
        ["CreateTeam"] = """{"name":"Tier 2 support"}""",
        ["CreateArticle"] = """{"title":"Export a report to CSV","body":"Open the report, choose **Export**, then **CSV**.","tags":["export","reports"]}""",
        ["CreateWebhook"] = """{"name":"Data warehouse","kind":"Webhook","url":"https://hooks.example.com/psm","events":["ticket.created","ticket.resolved"]}""",
    };

    private static readonly IReadOnlyDictionary<string, (string Status, string Json)> Responses = new Dictionary<string, (string, string)>
    {
        ["CreateWebhook"] = ("201", """{"webhook":{"id":"0193a6f2-5c1e-7c39-9d0e-2f4b8a1c6e10","name":"Data warehouse","kind":"Webhook","url":"https://hooks.example.com/psm","events":["ticket.created","ticket.resolved"],"status":"Active","pausedAt":null,"pausedReason":null,"createdAt":"2026-12-01T09:14:03+00:00","createdBy":"admin@northwind.example","queued":0,"failedInARow":0,"retryAt":null,"version":"6f1d2c3b-0a4e-4f5d-8c7b-9e0f1a2b3c4d"},"secret":"whsec_9Qm3xV0bT2kLwP7sR4yZ1nA6cD8eF5gH"}"""),
        ["ListEventTypes"] = ("200", """[{"type":"ticket.created","description":"A ticket was opened (by an agent, the API, an e-mail, a chat or the help centre).","forChat":false}]"""),
    };

    public static void Apply(OpenApiOperation operation, ApiDescription description)
    {
        if (operation.OperationId is not { } id)
        {
            return;
        }

        if (Requests.TryGetValue(id, out var request) && operation.RequestBody?.Content is { } content && content.TryGetValue("application/json", out var json))
        {
            json.Example = JsonNode.Parse(request);
        }

        if (Responses.TryGetValue(id, out var response) && operation.Responses?.TryGetValue(response.Status, out var answer) == true
            && answer.Content?.TryGetValue("application/json", out var media) == true)
        {
            media.Example = JsonNode.Parse(response.Json);
        }
    }
}
