using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Features.Account;

public sealed record MeDto(Guid Id, string Email, string DisplayName, IReadOnlyList<string> Roles, string AuthenticatedBy);

public static class AccountApi
{
    public static RouteGroupBuilder MapAccountApi(this RouteGroupBuilder api)
    {
        var me = api.MapGroup("/me").WithTags("Account").RequireAuthorization(Permissions.AccountSelf);
        me.MapGet("/", Me).WithName("GetMe").WithSummary("Who the caller is, and how they authenticated.");
        me.MapGet("/api-keys", ListKeys).WithName("ListMyApiKeys").WithSummary("Lists the caller's API keys (never their secrets).");
        me.MapPost("/api-keys", IssueKey).WithName("CreateMyApiKey")
            .WithSummary("Creates an API key; the token is in this response only.");
        me.MapDelete("/api-keys/{id:guid}", RevokeKey).WithName("RevokeMyApiKey").WithSummary("Revokes one of the caller's API keys.");
        me.MapGet("/preferences", (Preferences preferences, CancellationToken ct) => preferences.MineAsync(ct)).WithName("GetMyPreferences")
            .WithSummary("How the app looks to the caller on every device they sign in on: dark mode, time zone (null follows the browser), date style, closed navigation groups.");
        me.MapPut("/preferences", (PreferencesInput input, Preferences preferences, CancellationToken ct) => preferences.SaveAsync(input, ct)).WithName("SaveMyPreferences")
            .WithSummary("Changes the caller's preferences; a field left out stays as it is.");
        me.MapPost("/password", ChangePassword).WithName("ChangeMyPassword")
            .WithSummary("Changes the caller's password (the current one is required); other sessions end within a minute.");
        return api;
    }

    /// <summary>Sign-out is a form post from the app bar, protected by the antiforgery token.</summary>
    public static IEndpointRouteBuilder MapAccountForms(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/sign-out", async (SignInManager<PsmUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/account/sign-in?signedOut=true");
        }).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<NoContent, NotFound>> ChangePassword(
        PasswordChange input, ClaimsPrincipal principal, UserManager<PsmUser> users, AccountSecurity security)
    {
        if (await users.GetUserAsync(principal) is not { } user)
        {
            return TypedResults.NotFound();
        }

        await security.ChangePasswordAsync(user, input.CurrentPassword, input.NewPassword);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<MeDto>, NotFound>> Me(ClaimsPrincipal principal, UserManager<PsmUser> users, CurrentUser current)
    {
        var user = await users.FindByIdAsync(current.RequireUserId().ToString());
        if (user is null)
        {
            return TypedResults.NotFound();
        }

        var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).Order().ToList();
        return TypedResults.Ok(new MeDto(user.Id, user.Email ?? "", user.DisplayName, roles,
            principal.Identity?.AuthenticationType ?? "unknown"));
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyDto>>> ListKeys(ApiKeyService keys, CurrentUser current, CancellationToken ct) =>
        TypedResults.Ok(await keys.ListAsync(current.RequireUserId(), ct));

    private static async Task<Created<IssuedApiKey>> IssueKey(NewApiKey input, ApiKeyService keys, CurrentUser current, CancellationToken ct)
    {
        var issued = await keys.IssueAsync(current.RequireUserId(), input, ct);
        return TypedResults.Created($"/api/v1/me/api-keys/{issued.Key.Id}", issued);
    }

    private static async Task<Results<Ok<ApiKeyDto>, NotFound>> RevokeKey(Guid id, ApiKeyService keys, CurrentUser current, CancellationToken ct) =>
        await keys.RevokeAsync(current.RequireUserId(), id, ct) is { } key ? TypedResults.Ok(key) : TypedResults.NotFound();
}
