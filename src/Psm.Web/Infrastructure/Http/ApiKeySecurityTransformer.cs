using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Psm.Web.Infrastructure.Http;

/// <summary>Declares the API key header in the OpenAPI document, so the reference page can send it.</summary>
public sealed class ApiKeySecurityTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "PSM API";
        document.Info.Description = "Product Service Management. Authenticate with a personal API key in the " +
                                    $"{Features.Account.ApiKey.HeaderName} header (create one under My API keys).";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = Features.Account.ApiKey.HeaderName,
            Description = "A personal API key: read or read-write, optionally limited to areas of the permission matrix and to a number of days "
                + "(an expired key gets 401), and limited to ApiKeys:RequestsPerMinute requests a minute (429 with Retry-After).",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference("ApiKey", document)] = [],
        });
        return Task.CompletedTask;
    }
}
