using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Psm.Web.Features.Account;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>Adds the person's display name to their sign-in, so the UI can greet them by name.</summary>
public sealed class PsmClaimsFactory(UserManager<PsmUser> users, RoleManager<IdentityRole<Guid>> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PsmUser, IdentityRole<Guid>>(users, roles, options)
{
    public const string DisplayNameClaim = "psm:display_name";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PsmUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(DisplayNameClaim, string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? "" : user.DisplayName));
        return identity;
    }
}

public static class ClaimsPrincipalExtensions
{
    public static string DisplayName(this ClaimsPrincipal user) =>
        user.FindFirstValue(PsmClaimsFactory.DisplayNameClaim) ?? user.Identity?.Name ?? "";
}
