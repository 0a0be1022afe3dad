using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Psm.Web.Features.Account;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>Adds the person's display name to their sign-in, so the UI can greet them by name.</summary>
public sealed class PsmClaimsFactory(
    UserManager<PsmUser> users, RoleManager<IdentityRole<Guid>> roles, IOptions<IdentityOptions> options, IOptions<AccountSecurityOptions> security)
    : UserClaimsPrincipalFactory<PsmUser, IdentityRole<Guid>>(users, roles, options)
{
    public const string DisplayNameClaim = "psm:display_name";

    /// <summary>Present until the user replaces the one-time password an admin gave them.</summary>
    public const string MustChangePasswordClaim = "psm:must_change_password";

    /// <summary>Present while the user's role requires multi-factor sign-in and they have not set it up.</summary>
    public const string MfaSetupRequiredClaim = "psm:mfa_setup_required";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PsmUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(DisplayNameClaim, string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? "" : user.DisplayName));
        if (user.MustChangePassword)
        {
            identity.AddClaim(new Claim(MustChangePasswordClaim, "true"));
        }

        if (!user.TwoFactorEnabled && security.Value.MfaRequiredFor(await UserManager.GetRolesAsync(user)))
        {
            identity.AddClaim(new Claim(MfaSetupRequiredClaim, "true"));
        }

        return identity;
    }
}

public static class ClaimsPrincipalExtensions
{
    public static string DisplayName(this ClaimsPrincipal user) =>
        user.FindFirstValue(PsmClaimsFactory.DisplayNameClaim) ?? user.Identity?.Name ?? "";
}
