using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Psm.Web.Infrastructure.Http;

/// <summary>Thrown by shared services when input breaks a rule that only the database can check.</summary>
public sealed class RequestValidationException(IDictionary<string, string[]> errors)
    : Exception("The request has invalid fields.")
{
    public IDictionary<string, string[]> Errors { get; } = errors;

    public RequestValidationException(string field, string error)
        : this(new Dictionary<string, string[]> { [field] = [error] })
    {
    }

    /// <summary>Throws one exception naming every field at fault, or nothing when the list is empty.</summary>
    public static void ThrowIfAny(IEnumerable<(string Field, string Message)> problems)
    {
        var errors = problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray());
        if (errors.Count > 0)
        {
            throw new RequestValidationException(errors);
        }
    }
}

/// <summary>The one place exceptions become problem details; nothing internal leaks into a response.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public const string StaleRecordMessage =
        "This record was changed by someone else since you loaded it. Reload it and apply your change again.";

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem = exception switch
        {
            RequestValidationException invalid => new HttpValidationProblemDetails(invalid.Errors)
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "One or more fields are invalid.",
            },
            DbUpdateConcurrencyException => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The record was changed by someone else.",
                Detail = StaleRecordMessage,
            },
            UnauthorizedAccessException refused => new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "You do not have permission to do this.",
                Detail = refused.Message,
            },
            KeyNotFoundException missing => new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound,
                Title = "Not found.",
                Detail = missing.Message,
            },
            BadHttpRequestException bad => UnreadableRequest.Describe(bad),
            DbUpdateException { InnerException: { } inner } when ConstraintProblem.Describe(inner) is { } constraint => constraint,
            _ when IsSqliteBusy(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is busy.",
                Detail = "Another write (such as a large import) holds the embedded database; nothing was changed. Try again in a few seconds.",
            },
            _ => new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "An unexpected error occurred.",
                Detail = "The error has been logged. Quote the trace id when you report it.",
            },
        };

        if (problem.Status == StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
        }

        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "5";
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    /// <summary>SQLite's busy or locked error (its one writer is taken for longer than the busy timeout), however it was wrapped.</summary>
    private static bool IsSqliteBusy(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 })
            {
                return true;
            }
        }

        return false;
    }
}
