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
    public static async Task<Results<Ok<CsvImportResult>, BadRequest<CsvImportResult>, NotFound, ProblemHttpResult>> CsvImportAsync(
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
            var result => TypedResults.BadRequest(result),
        };
    }
}
