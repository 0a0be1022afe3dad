using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// Makes every operation say what a generated client needs: the permission it takes (and the roles holding it) as its
/// description, its error responses as problem details (400 with the per-field errors, 401, 403, 404, 409, 429 where
/// they can happen), path parameters a route group binds itself, and examples for the main operations of each area.
/// </summary>
public sealed partial class OpenApiReference : IOpenApiOperationTransformer, IOpenApiDocumentTransformer
{
    public const string Problem = "ProblemDetails";
    public const string ValidationProblem = "ValidationProblemDetails";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var path = "/" + (description.RelativePath ?? "").TrimStart('/');
        var method = description.HttpMethod?.ToUpperInvariant() ?? "GET";
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var permissions = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>()
            .Where(p => Permissions.Matrix.Any(m => m.Name == p)).Distinct().ToList();
        var document = context.Document!;

        // A route group's own parameter ({siteKey}) that no handler binds is still part of the path.
        operation.Parameters ??= [];
        foreach (Match m in PathParameter().Matches(path))
        {
            var name = m.Groups["name"].Value;
            if (!operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name))
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    Description = name == "siteKey" ? "The chat site's key (from its script tag)." : null,
                });
            }
        }

        operation.Responses ??= [];
        if (!operation.Responses.Keys.Any(k => k.StartsWith('2') || k.StartsWith('3')))
        {
            operation.Responses["200"] = new OpenApiResponse { Description = "The file." };
        }

        var hasInput = operation.RequestBody is not null || operation.Parameters.Count > 0;
        if (hasInput)
        {
            Add(operation, "400", "The request is invalid: `errors` names each field at fault (a JSON path for malformed JSON).", ValidationProblem, document);
        }

        if (!anonymous)
        {
            Add(operation, "401", "No valid API key (X-Api-Key) or session.", Problem, document);
            Add(operation, "403", "The caller's role lacks the permission this operation needs (see the description), or the key is read-only.", Problem, document);
        }

        if (path.Contains('{'))
        {
            Add(operation, "404", "No such record (or, on public links, a token that is unknown, revoked or not for this record).", Problem, document);
        }

        if (!anonymous && method is "POST" or "PUT" or "PATCH" or "DELETE")
        {
            Add(operation, "409", "The record changed since it was read (a stale `version`), or a value that must be unique is taken.", Problem, document);
        }

        if (!anonymous && method == "POST" && path.StartsWith("/api/", StringComparison.Ordinal))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = Idempotency.Header, In = ParameterLocation.Header, Required = false, Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 200 },
                Description = "Makes a retry safe: a second request with the same key and body within 24 hours gets the first answer again "
                    + "(header Idempotent-Replayed: true) and changes nothing. The same key with another body gets 422; while the first runs, 409.",
            });
            Add(operation, "422", "This Idempotency-Key was already used for another request.", Problem, document);
        }

        if (path.StartsWith("/api/", StringComparison.Ordinal))
        {
            Add(operation, "429", anonymous
                ? "Too many requests from this address; `Retry-After` says in how many seconds to come back."
                : "Too many requests with this API key (ApiKeys:RequestsPerMinute, 1200 by default); `Retry-After` says in how many seconds to come back.",
                Problem, document);
            ((OpenApiResponse)operation.Responses["429"]).Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
            };
        }

        {
            var who = anonymous
                ? "Public: no sign-in."
                : permissions.Count == 0
                    ? "Any signed-in user."
                    : "Needs " + string.Join(" and ", permissions.Select(p => $"`{p}` ({string.Join(", ", Permissions.Get(p).Roles)})")) + ".";
            operation.Description = $"{(string.IsNullOrWhiteSpace(operation.Description) ? operation.Summary : operation.Description)} {who}".Trim();
        }

        OpenApiExamples.Apply(operation, description);
        return Task.CompletedTask;
    }

    private static void Add(OpenApiOperation operation, string status, string text, string schema, OpenApiDocument document)
    {
        operation.Responses![status] = new OpenApiResponse { Description = text, Content = ProblemContent(schema, document) };
    }

    private static Dictionary<string, OpenApiMediaType> ProblemContent(string schema, OpenApiDocument document) => new()
    {
        ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(schema, document) },
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Contact = new OpenApiContact { Name = "PSM maintainers (the README says where to ask)" };
        document.Info.License = new OpenApiLicense { Name = "Apache-2.0", Identifier = "Apache-2.0" };
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[Problem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem: what went wrong, for people (title, detail) and programs (status, type).",
            Properties = ProblemProperties(),
        };
        var validation = ProblemProperties();
        validation["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Each field at fault (its JSON name or path) with what is wrong with it.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        validation["rejected"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Array, Description = "For a refused import: each rejected row with its field and reason.",
            Items = new OpenApiSchema { Type = JsonSchemaType.Object },
        };
        document.Components.Schemas[ValidationProblem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A 400 problem naming the fields at fault.",
            Properties = validation,
            Examples = [JsonNode.Parse("""{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more fields are invalid.","status":400,"errors":{"url":["Give the full address of the receiver, starting with https:// (or http://)."]}}""")!],
        };
        foreach (var (name, schema) in document.Components.Schemas.Where(s => s.Key.StartsWith("PageOf", StringComparison.Ordinal)))
        {
            if (schema is OpenApiSchema page)
            {
                page.Description = "One page of a list: `items`, and `nextCursor` for the next page (null on the last). Pass it back as `?cursor=`, "
                    + "with `?limit=` (1-500, default 50); pages are stable while rows are added.";
            }
        }

        return Task.CompletedTask;
    }

    private static Dictionary<string, IOpenApiSchema> ProblemProperties() => new()
    {
        ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A URI naming the kind of problem." },
        ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary." },
        ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status." },
        ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "What happened here, for a person." },
        ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
        ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Quote it when asking for help: the server's log has it." },
    };

    [GeneratedRegex("{(?<name>[^}:?]+)[^}]*}")]
    private static partial Regex PathParameter();
}
