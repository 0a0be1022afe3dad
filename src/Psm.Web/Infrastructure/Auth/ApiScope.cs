using Microsoft.AspNetCore.Authorization;
using Psm.Web.Features.Account;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>
/// A read-scoped API key may only read, and a key limited to areas only acts in those (the Account area is always open to
/// its owner); cookie sessions are bound by role alone.
/// </summary>
public sealed class ApiScopeRequirement(string area) : IAuthorizationRequirement
{
    public string Area { get; } = area;
}

public sealed class ApiScopeHandler(IHttpContextAccessor http) : AuthorizationHandler<ApiScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiScopeRequirement requirement)
    {
        var scope = context.User.FindFirst(ApiKeyAuthenticationHandler.ScopeClaim)?.Value;
        var method = http.HttpContext?.Request.Method ?? HttpMethods.Get;
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

        var areas = context.User.FindFirst(ApiKeyAuthenticationHandler.AreasClaim)?.Value;
        if (areas is not null && requirement.Area != "Account" && !areas.Split(',').Contains(requirement.Area))
        {
            context.Fail(new AuthorizationFailureReason(this, $"This API key is limited to {areas.Replace(",", ", ")}; this call needs the {requirement.Area} area."));
        }
        else if (scope is null || isRead || scope == nameof(ApiKeyScope.ReadWrite))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, "This API key is read-only; create a read-write key to make changes."));
        }

        return Task.CompletedTask;
    }
}
