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
}
