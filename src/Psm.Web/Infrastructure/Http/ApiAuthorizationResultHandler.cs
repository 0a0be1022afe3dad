using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// API callers get 401/403 problem details, never a redirect to the sign-in page; pages keep the
/// cookie's redirects.
/// </summary>
public sealed class ApiAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (!ApiPaths.IsApi(context.Request) || result.Succeeded)
        {
            await fallback.HandleAsync(next, context, policy, result);
            return;
        }

        var problem = result.Challenged
            ? new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Authentication is required.",
                Detail = $"Sign in, or send a valid API key in the {Features.Account.ApiKey.HeaderName} header.",
            }
            : new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "You do not have permission to do this.",
                Detail = string.Join(" ", result.AuthorizationFailure?.FailureReasons.Select(r => r.Message) ?? [])
                    is { Length: > 0 } reasons ? reasons : "Your role does not allow this action.",
            };

        context.Response.StatusCode = problem.Status!.Value;
        if (result.Challenged)
        {
            context.Response.Headers.WWWAuthenticate = $"{Features.Account.ApiKey.HeaderName}, Cookie";
        }

        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}

public static class ApiPaths
{
    public static bool IsApi(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/openapi");
}
