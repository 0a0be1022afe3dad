using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Psm.Web.Features.Account;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>Identity's sign-in, plus one rule: a deactivated user is not allowed in.</summary>
public sealed class PsmSignInManager(
    UserManager<PsmUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<PsmUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<PsmUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<PsmUser> confirmation)
    : SignInManager<PsmUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(PsmUser user) => user.IsActive && await base.CanSignInAsync(user);
}
