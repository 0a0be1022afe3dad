using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Psm.Web.Data;
using Psm.Web.Features.Account;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>Settings under Sso: the company's OpenID Connect provider, beside local accounts.</summary>
public sealed class SingleSignOnOptions
{
    public const string Scheme = "oidc";

    /// <summary>The provider's issuer URL; single sign-on is off while it is empty.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    /// <summary>What the sign-in button says: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; set; } = "your company account";

    /// <summary>The claim that carries the person's groups (asked for as a scope of the same name).</summary>
    public string RoleClaim { get; set; } = "groups";

    /// <summary>group=Role pairs, comma-separated: "psm-admins=Admin,psm-pm=ProductManager".</summary>
    public string RoleMap { get; set; } = "";

    /// <summary>The role of someone whose groups map to none; empty refuses them.</summary>
    public string DefaultRole { get; set; } = Roles.Stakeholder;

    /// <summary>Only for a provider on loopback in tests: production providers are reached over HTTPS.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>The PSM roles a person's groups map to, or the default role when none does.</summary>
    public IReadOnlyList<string> RolesFor(IEnumerable<string> groups)
    {
        var map = RoleMap.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(pair => pair.Length == 2 && Roles.All.Contains(pair[1]))
            .ToLookup(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
        var roles = groups.SelectMany(g => map[g]).Distinct().ToList();
        return roles.Count > 0 ? roles : Roles.All.Contains(DefaultRole) ? [DefaultRole] : [];
    }
}

public static class SingleSignOn
{
    public static AuthenticationBuilder AddPsmSingleSignOn(this AuthenticationBuilder builder, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Sso").Get<SingleSignOnOptions>() ?? new();
        builder.Services.AddOptions<SingleSignOnOptions>().BindConfiguration("Sso");
        if (!settings.Enabled)
        {
            return builder;
        }

        return builder.AddOpenIdConnect(SingleSignOnOptions.Scheme, settings.DisplayName, options =>
        {
            options.SignInScheme = IdentityConstants.ExternalScheme;
            options.Authority = settings.Authority;
            options.ClientId = settings.ClientId;
            options.ClientSecret = settings.ClientSecret;
            options.RequireHttpsMetadata = settings.RequireHttpsMetadata;
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.ResponseMode = OpenIdConnectResponseMode.Query;
            options.UsePkce = true;
            options.GetClaimsFromUserInfoEndpoint = true;
            options.MapInboundClaims = false;
            options.Scope.Clear();
            foreach (var scope in new[] { "openid", "email", "profile", settings.RoleClaim })
            {
                options.Scope.Add(scope);
            }

            options.ClaimActions.MapJsonKey(ClaimTypes.NameIdentifier, "sub"); // Identity keys the login by it
            options.ClaimActions.MapJsonKey(settings.RoleClaim, settings.RoleClaim);
            options.ClaimActions.MapJsonKey("email", "email");
            options.ClaimActions.MapJsonKey("name", "name");
            // The callback is a top-level redirect from the provider: Lax cookies travel with it, also over plain HTTP on loopback.
            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
        });
    }

    public static IEndpointRouteBuilder MapSingleSignOn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account/sso", (string? returnUrl, Microsoft.Extensions.Options.IOptions<SingleSignOnOptions> sso, SignInManager<PsmUser> signIn) =>
                sso.Value.Enabled
                    ? Results.Challenge(signIn.ConfigureExternalAuthenticationProperties(SingleSignOnOptions.Scheme,
                        $"/account/sso/complete?returnUrl={Uri.EscapeDataString(Features.Account.SignInPage.LocalUrl(returnUrl))}"),
                        [SingleSignOnOptions.Scheme])
                    : Results.NotFound())
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/account/sso/complete", CompleteAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// After the provider: finds the person by their provider login (or e-mail), creates them just in time
    /// if they are new, sets their roles from the provider's groups on every sign-in, and signs them in.
    /// </summary>
    private static async Task<IResult> CompleteAsync(
        string? returnUrl, HttpContext http, SignInManager<PsmUser> signIn, UserManager<PsmUser> users,
        Microsoft.Extensions.Options.IOptions<SingleSignOnOptions> sso, TimeProvider time, PsmDb db, ILogger<SingleSignOnOptions> logger)
    {
        var info = await signIn.GetExternalLoginInfoAsync();
        if (info is null)
        {
            return Results.Redirect("/account/sign-in?sso=failed");
        }

        var email = info.Principal.FindFirstValue("email") ?? info.Principal.FindFirstValue(ClaimTypes.Email);
        var groups = info.Principal.FindAll(sso.Value.RoleClaim).Select(c => c.Value).ToList();
        var roles = sso.Value.RolesFor(groups);
        if (string.IsNullOrWhiteSpace(email) || roles.Count == 0)
        {
            await http.SignOutAsync(IdentityConstants.ExternalScheme);
            return Results.Redirect("/account/sign-in?sso=refused");
        }

        var user = await users.FindByLoginAsync(info.LoginProvider, info.ProviderKey) ?? await users.FindByEmailAsync(email);
        await using var transaction = await db.Database.BeginTransactionAsync(http.RequestAborted);
        if (user is null)
        {
            user = new PsmUser
            {
                Email = email, UserName = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow(),
                DisplayName = info.Principal.FindFirstValue("name") ?? email,
            };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded)
            {
                logger.LogWarning("Single sign-on could not create {Email}: {Errors}", email, string.Join(" ", created.Errors.Select(e => e.Description)));
                return Results.Redirect("/account/sign-in?sso=refused");
            }

            logger.LogInformation("Single sign-on created {Email} as {Roles}.", email, string.Join(", ", roles));
        }

        if (!user.IsActive)
        {
            await http.SignOutAsync(IdentityConstants.ExternalScheme);
            return Results.Redirect("/account/sign-in?sso=refused");
        }

        if ((await users.GetLoginsAsync(user)).All(l => l.LoginProvider != info.LoginProvider))
        {
            await users.AddLoginAsync(user, info);
        }

        // The provider is the source of truth for roles of people who sign in through it.
        var current = await users.GetRolesAsync(user);
        if (!current.Order().SequenceEqual(roles.Order()))
        {
            await users.RemoveFromRolesAsync(user, current.Except(roles));
            await users.AddToRolesAsync(user, roles.Except(current));
            await users.UpdateSecurityStampAsync(user);
        }

        await transaction.CommitAsync(http.RequestAborted);
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        await signIn.SignInAsync(user, isPersistent: false, authenticationMethod: SingleSignOnOptions.Scheme);
        return Results.LocalRedirect(Features.Account.SignInPage.LocalUrl(returnUrl));
    }
}
