using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>
/// Generated from the OpenAPI document: every operation with a body or a query gets malformed JSON,
/// wrong types, nulls, empty and 1 MB strings, negative, huge and out-of-range numbers, unknown enum
/// names and integers, far past and far future dates and unknown ids, one field at a time on top of a
/// body that is otherwise valid. Nothing may answer 5xx, every refusal is problem details, and every
/// list still answers 200 afterwards (nothing stored breaks a later read). A new endpoint is covered
/// the moment it is in the document.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly string Megabyte = new('x', 1_000_000);

    [Fact]
    public async Task NoOperationFailsOnHostileInputAndEveryListStillAnswers()
    {
        await using var app = new PsmServer(new() { ["Demo:Seed"] = "true", ["Sla:MonitorSeconds"] = "0" });
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var spare = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        admin.Timeout = TimeSpan.FromMinutes(2);
        var operations = await OpenApiOperations.ReadAsync(app, admin, spare);
        var failures = new List<string>();
        var sent = 0;
        var lists = new List<Operation>();
        foreach (var op in operations.All.Where(o => o.Method == "GET" && !o.Path.Contains('{') && !o.IsPublic))
        {
            using var before = await admin.GetAsync(op.Path);
            if (before.StatusCode == HttpStatusCode.OK)
            {
                lists.Add(op);
            }
        }

        foreach (var op in operations.All.Where(o => o.BodySchema is not null || o.QueryParameters.Any()))
        {
            var versioned = op.Method == "PUT" && operations.All.Any(o => o.Method == "GET" && o.Path == op.Path);
            foreach (var (what, request) in HostileRequests(operations, op))
            {
                if (versioned && request.Content is StringContent && await request.Content.ReadAsStringAsync() is var json
                    && json.Contains("\"version\"", StringComparison.Ordinal) && JsonNode.Parse(json) is JsonObject body
                    && body.ContainsKey("version") && body["version"] is null && await operations.CurrentVersionAsync(admin, request.RequestUri!.ToString()) is { } version)
                {
                    body["version"] = version;
                    request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                }

                using var response = await admin.SendAsync(request);
                sent++;
                if (what == "a valid-looking body" && Environment.GetEnvironmentVariable("PSM_HOSTILE_TRACE") is { } trace)
                {
                    File.AppendAllText(trace, $"{op} {(int)response.StatusCode} {await Snippet(response)} SENT {(request.Content is null ? "" : await request.Content.ReadAsStringAsync())}\n");
                }
                var problem = await ProblemIn(response);
                if (problem is not null)
                {
                    failures.Add($"{op} with {what}: {problem}");
                }
            }
        }

        Assert.True(lists.Count > 30, $"Only {lists.Count} lists answered before the hostile calls.");
        foreach (var op in lists)
        {
            using var response = await admin.GetAsync(op.Path);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failures.Add($"{op} after the hostile calls: {(int)response.StatusCode} {await Snippet(response)}");
            }
        }

        Assert.True(sent > 1000, $"Only {sent} hostile requests were generated; the document was not read.");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} hostile requests went wrong:\n" + string.Join("\n", failures.Take(150)));
    }

    private static async Task<string?> ProblemIn(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            return $"{status} {await Snippet(response)}";
        }

        if (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} without problem details ({response.Content.Headers.ContentType?.MediaType ?? "no body"})";
        }

        return null;
    }

    private static async Task<string> Snippet(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length > 300 ? text[..300] : text;
    }

    private static IEnumerable<(string What, HttpRequestMessage Request)> HostileRequests(OpenApiOperations operations, Operation op)
    {
        var path = operations.Fill(op);
        if (op.BodySchema is { } schema)
        {
            foreach (var raw in new[] { "{", "[]", "null", "\"text\"", "{\"a\":", "" })
            {
                yield return ($"body {Show(raw)}", Request(op.Method, path, raw));
            }

            var baseline = operations.Sample(schema) ?? new JsonObject();
            yield return ("a valid-looking body", Request(op.Method, path, baseline.ToJsonString()));
            if (baseline is JsonObject valid && operations.Resolve(schema)?["properties"] is JsonObject properties)
            {
                foreach (var (name, propertySchema) in properties)
                {
                    foreach (var (what, value) in HostileValues(operations, operations.Resolve(propertySchema)))
                    {
                        var body = (JsonObject)valid.DeepClone();
                        body[name] = value?.DeepClone();
                        yield return ($"{name} = {what}", Request(op.Method, path, body.ToJsonString()));
                    }
                }
            }
            else if (baseline is JsonArray)
            {
                foreach (var (what, value) in HostileValues(operations, operations.Resolve(operations.Resolve(schema)?["items"])))
                {
                    yield return ($"[{what}]", Request(op.Method, path, new JsonArray(value?.DeepClone()).ToJsonString()));
                }
            }
        }

        foreach (var parameter in op.QueryParameters)
        {
            var name = (string)parameter["name"]!;
            foreach (var value in new[] { "", "NotAValue", "999", "-1", "99999999999999999999", "0001-01-01", "9999-12-31",
                         "not-a-guid", Guid.NewGuid().ToString(), new string('q', 4000), "%00", "1e309" })
            {
                var separator = path.Contains('?') ? '&' : '?';
                yield return ($"?{name}={Show(value)}", Request("GET" == op.Method ? "GET" : op.Method,
                    $"{path}{separator}{name}={Uri.EscapeDataString(value)}",
                    op.BodySchema is null ? null : (operations.Sample(op.BodySchema) ?? new JsonObject()).ToJsonString()));
            }
        }
    }

    private static IEnumerable<(string What, JsonNode? Value)> HostileValues(OpenApiOperations operations, JsonObject? schema)
    {
        yield return ("null", null);
        if (schema is null)
        {
            yield break;
        }

        var type = OpenApiOperations.TypeOf(schema);
        var format = (string?)schema["format"];
        if (schema["enum"] is not null)
        {
            yield return ("an unknown name", "NotAValue");
            yield return ("an integer", 999);
            yield return ("an integer as text", "999");
            yield return ("a negative integer", -1);
            yield break;
        }

        switch (type)
        {
            case "string" when format == "uuid":
                yield return ("an unknown id", Guid.NewGuid().ToString());
                yield return ("a malformed id", "not-a-guid");
                yield return ("a number", 12345);
                break;
            case "string" when format is "date" or "date-time":
                yield return ("the year 1", format == "date" ? "0001-01-01" : "0001-01-01T00:00:00Z");
                yield return ("the year 9999", format == "date" ? "9999-12-31" : "9999-12-31T23:59:59Z");
                yield return ("an impossible date", "2026-13-45");
                yield return ("a number", 20260101);
                break;
            case "string":
                yield return ("an empty string", "");
                yield return ("1 MB of text", Megabyte);
                yield return ("a number", 12345);
                yield return ("an object", new JsonObject());
                break;
            case "integer" or "number":
                yield return ("-1", -1);
                yield return ("a huge number", 99999999999999999999m);
                yield return ("2^31", 2147483648L);
                yield return ("1e308", JsonNode.Parse("1e308"));
                yield return ("a fraction", 0.5m);
                yield return ("text", "twelve");
                break;
            case "boolean":
                yield return ("text", "yes");
                break;
            case "array":
                yield return ("a list holding null", new JsonArray((JsonNode?)null));
                yield return ("an object", new JsonObject());
                var items = operations.Resolve(schema["items"]);
                if (items is not null)
                {
                    foreach (var (what, value) in HostileValues(operations, items).Where(v => v.Value is not null).Take(4))
                    {
                        yield return ($"a list holding {what}", new JsonArray(value!.DeepClone()));
                    }

                    var sample = operations.Sample(items);
                    if (sample is not null)
                    {
                        yield return ("a list of 2 000", new JsonArray(Enumerable.Range(0, 2000).Select(_ => sample.DeepClone()).ToArray()));
                    }
                }

                break;
            case "object":
                yield return ("a list", new JsonArray());
                yield return ("text", "text");
                break;
        }
    }

    private static HttpRequestMessage Request(string method, string path, string? json) => new(new HttpMethod(method), path)
    {
        Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"),
    };

    private static string Show(string value) => value.Length > 20 ? $"{value.Length} characters" : $"'{value}'";
}
