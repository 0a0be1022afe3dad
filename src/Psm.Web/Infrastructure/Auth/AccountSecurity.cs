using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>Settings under Security: which roles must sign in with a second factor.</summary>
public sealed class AccountSecurityOptions
{
    /// <summary>Roles (comma-separated) that must use an authenticator app; empty means MFA is optional for everyone.</summary>
    public string MfaRequiredRoles { get; set; } = "";

    public bool MfaRequiredFor(IEnumerable<string> roles) =>
        MfaRequiredRoles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Intersect(roles, StringComparer.OrdinalIgnoreCase).Any();
}

/// <summary>A reset link; <see cref="MailedTo"/> is the address it was also mailed to (null when it was not: hand it over).</summary>
public sealed record PasswordReset(string Link, DateTimeOffset ExpiresAt, string? MailedTo = null);

public sealed record AuthenticatorSetup(string SharedKey, string AuthenticatorUri, bool Enabled);

public sealed class PasswordChange
{
    [System.ComponentModel.DataAnnotations.Required(ErrorMessage = "Enter your current password.")]
    public string CurrentPassword { get; set; } = "";

    [System.ComponentModel.DataAnnotations.Required(ErrorMessage = "Choose a new password.")]
    [System.ComponentModel.DataAnnotations.StringLength(200, MinimumLength = 10, ErrorMessage = "The new password needs at least 10 characters.")]
    public string NewPassword { get; set; } = "";
}

/// <summary>
/// Passwords and second factors for one's own account, and the reset links an admin issues. The pages
/// and the API share it; every change rotates the security stamp, so other sessions end within a minute.
/// </summary>
public sealed class AccountSecurity(UserManager<PsmUser> users, PsmDb db, TimeProvider time, CurrentUser currentUser, Http.PublicAddress publicAddress)
{
    /// <summary>How long an admin-issued reset link works (Identity's token lifespan, set in AuthSetup).</summary>
    public static readonly TimeSpan ResetLinkLifetime = TimeSpan.FromHours(24);

    public async Task ChangePasswordAsync(PsmUser user, string current, string next)
    {
        Check(await users.ChangePasswordAsync(user, current, next), "newPassword", "currentPassword");
        user.MustChangePassword = false;
        Check(await users.UpdateAsync(user), "newPassword");
    }

    /// <param name="mail">Also mail the link to the user, from the first enabled mailbox (when there is one).</param>
    public async Task<PasswordReset?> IssueResetLinkAsync(Guid userId, bool mail = false, CancellationToken ct = default)
    {
        var user = await users.FindByIdAsync(userId.ToString());
        if (user is null)
        {
            return null;
        }

        var token = await users.GeneratePasswordResetTokenAsync(user);
        var actor = currentUser.Actor;
        db.AuditEntries.Add(new AuditEntry
        {
            At = time.GetUtcNow(), UserId = actor.UserId, UserName = actor.Name, Action = "PasswordResetIssued", Entity = nameof(PsmUser),
            EntityKey = user.Id.ToString(), Changes = System.Text.Json.JsonSerializer.Serialize(new { email = user.Email }),
        });
        var link = $"/account/reset?email={Uri.EscapeDataString(user.Email!)}&token={Uri.EscapeDataString(token)}";
        var expires = time.GetUtcNow() + ResetLinkLifetime;
        var mailed = mail
            ? await Features.Mail.OutgoingMail.QueuePasswordResetAsync(db, user.Email!, user.DisplayName, publicAddress.Base + link, expires, time.GetUtcNow(), ct)
            : null;
        await db.SaveChangesAsync(ct);
        return new PasswordReset(link, expires, mailed?.ToAddress);
    }

    /// <summary>Sets a new password from a reset link; false when the link is wrong or has expired (the same answer either way).</summary>
    public async Task<bool> ResetPasswordAsync(string email, string token, string next)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is null || !await users.VerifyUserTokenAsync(user, users.Options.Tokens.PasswordResetTokenProvider,
                UserManager<PsmUser>.ResetPasswordTokenPurpose, token))
        {
            return false;
        }

        Check(await users.ResetPasswordAsync(user, token, next), "newPassword");
        user.MustChangePassword = false;
        await users.ResetAccessFailedCountAsync(user);
        await users.SetLockoutEndDateAsync(user, null);
        Check(await users.UpdateAsync(user), "newPassword");
        return true;
    }

    public async Task<AuthenticatorSetup> AuthenticatorAsync(PsmUser user)
    {
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            key = await users.GetAuthenticatorKeyAsync(user);
        }

        var uri = string.Format(CultureInfo.InvariantCulture, "otpauth://totp/{0}:{1}?secret={2}&issuer={0}&digits=6",
            Uri.EscapeDataString("PSM"), Uri.EscapeDataString(user.Email!), key);
        return new AuthenticatorSetup(Group(key!), uri, user.TwoFactorEnabled);
    }

    /// <summary>Turns on the authenticator once the user proves the app shows the right code; returns one-time recovery codes.</summary>
    public async Task<IReadOnlyList<string>?> EnableAuthenticatorAsync(PsmUser user, string code)
    {
        var clean = code.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, clean))
        {
            return null;
        }

        await users.SetTwoFactorEnabledAsync(user, true);
        return (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 8))?.ToList() ?? [];
    }

    public async Task DisableAuthenticatorAsync(PsmUser user)
    {
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user);
    }

    private static string Group(string key)
    {
        var text = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            text.Append(key.AsSpan(i, Math.Min(4, key.Length - i))).Append(' ');
        }

        return text.ToString().TrimEnd().ToLowerInvariant();
    }

    private static void Check(IdentityResult result, string field, string? mismatchField = null)
    {
        if (!result.Succeeded)
        {
            throw new RequestValidationException(result.Errors.GroupBy(e => e.Code == "PasswordMismatch" && mismatchField is not null ? mismatchField : field)
                .ToDictionary(g => g.Key, g => g.Select(e => e.Code == "PasswordMismatch" ? "The current password is not right." : e.Description).ToArray()));
        }
    }
}

/// <summary>
/// Sends a signed-in person who still holds a one-time password, or whose role requires MFA they have
/// not set up, to the page that fixes it before anything else opens.
/// </summary>
public static class AccountGate
{
    public static IApplicationBuilder UseAccountGate(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            var user = context.User;
            if (user.Identity?.IsAuthenticated == true && HttpMethods.IsGet(context.Request.Method) && !ApiPaths.IsApi(context.Request)
                && !path.StartsWithSegments("/account") && !path.StartsWithSegments("/_blazor") && !path.StartsWithSegments("/_framework")
                && !path.StartsWithSegments("/_content") && !Path.HasExtension(path.Value))
            {
                if (user.HasClaim(c => c.Type == PsmClaimsFactory.MustChangePasswordClaim))
                {
                    context.Response.Redirect("/account/password?required=true");
                    return;
                }

                // Someone who came through the company's provider proved their second factor there.
                if (user.HasClaim(c => c.Type == PsmClaimsFactory.MfaSetupRequiredClaim)
                    && !user.HasClaim(ClaimTypes.AuthenticationMethod, SingleSignOnOptions.Scheme))
                {
                    context.Response.Redirect("/account/mfa?required=true");
                    return;
                }
            }

            await next(context);
        });

    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
}
