using Microsoft.AspNetCore.Http.HttpResults;

namespace Psm.Web.Infrastructure.Http;

public static class ApiResults
{
    /// <summary>200 with the value, or 404 when the service found nothing.</summary>
    public static async Task<Results<Ok<T>, NotFound>> Found<T>(Task<T?> task) where T : class =>
        await task is { } value ? TypedResults.Ok(value) : TypedResults.NotFound();

    /// <summary>415 problem details unless the body is declared as text/csv; null when it is.</summary>
    public static ProblemHttpResult? RefuseUnlessCsv(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase)
            ? null
            : TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Send the file as text/csv.");

    /// <summary>
    /// A CSV import endpoint's answer: 415 unless the body is text/csv, 404 when the import has no target,
    /// 200 with the report when rows were kept, 400 with the report when the file was refused.
    /// </summary>
    public static async Task<Results<Ok<CsvImportResult>, RefusedImport<CsvImportResult>, NotFound, ProblemHttpResult>> CsvImportAsync(
        HttpRequest request, string? map, Func<TextReader, IReadOnlyDictionary<string, string>?, Task<CsvImportResult?>> import)
    {
        if (RefuseUnlessCsv(request) is { } refused)
        {
            return refused;
        }

        using var reader = CsvImport.Reader(request.Body);
        return await import(reader, CsvImport.ParseMapping(map)) switch
        {
            null => TypedResults.NotFound(),
            { Applied: true } result => TypedResults.Ok(result),
            var result => RefusedImport.Of(result),
        };
    }
}

/// <summary>
/// 400 for an import or batch that was refused as a whole: problem details whose extra members are the
/// per-row report, so a caller reads both "what went wrong" and which rows from one body.
/// </summary>
public sealed class RefusedImport<T>(T report) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>, Microsoft.AspNetCore.Http.Metadata.IEndpointMetadataProvider
    where T : notnull
{
    public T Value => report;

    object? IValueHttpResult.Value => report;

    public int? StatusCode => StatusCodes.Status400BadRequest;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var options = httpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()
            .Value.SerializerOptions;
        var body = System.Text.Json.JsonSerializer.SerializeToNode(report, options)!.AsObject();
        body["type"] = "https://tools.ietf.org/html/rfc9110#section-15.5.1";
        body["title"] = "Nothing was stored: the rows listed under 'rejected' were refused.";
        body["status"] = StatusCodes.Status400BadRequest;
        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        httpContext.Response.ContentType = "application/problem+json";
        await httpContext.Response.WriteAsync(body.ToJsonString(options));
    }

    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new Microsoft.AspNetCore.Mvc.ProducesResponseTypeAttribute(
            typeof(T), StatusCodes.Status400BadRequest, "application/problem+json"));
}

public static class RefusedImport
{
    public static RefusedImport<T> Of<T>(T report) where T : notnull => new(report);
}
