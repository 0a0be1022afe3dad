using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using Psm.Web.Data;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Infrastructure.Auth;

public static class AuthSetup
{
    private const string CookieOrKey = "CookieOrApiKey";

    public static IServiceCollection AddPsmAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<CurrentUser>();
        services.AddScoped<CircuitHandler, CurrentUserCircuitHandler>();
        services.AddCascadingAuthenticationState();
        services.AddSingleton<ApiKeyCache>();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthenticationStateProvider>();

        var authentication = services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieOrKey;
                options.DefaultChallengeScheme = CookieOrKey;
            })
            .AddPolicyScheme(CookieOrKey, "Cookie or API key", options =>
                options.ForwardDefaultSelector = context => context.Request.Headers.ContainsKey(ApiKey.HeaderName)
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        authentication.AddIdentityCookies();
        authentication.AddPsmSingleSignOn(configuration);

        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/account/sign-in";
            cookie.LogoutPath = "/account/sign-out";
            cookie.AccessDeniedPath = "/account/access-denied";
            cookie.Cookie.Name = "psm.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.SlidingExpiration = true;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
        });
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.Configure<DataProtectionTokenProviderOptions>(o => o.TokenLifespan = AccountSecurity.ResetLinkLifetime);
        services.AddOptions<AccountSecurityOptions>().BindConfiguration("Security");
        services.AddScoped<AccountSecurity>();

        services.AddIdentityCore<PsmUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 10;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<PsmDb>()
            .AddSignInManager<PsmSignInManager>()
            .AddClaimsPrincipalFactory<PsmClaimsFactory>()
            .AddDefaultTokenProviders();

        services.AddSingleton<IAuthorizationHandler, ApiScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
        var authorization = services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser()
                .AddRequirements(new ApiScopeRequirement("Account"))
                .Build());
        foreach (var permission in Permissions.Matrix)
        {
            authorization.AddPolicy(permission.Name, p => p.RequireRole(permission.Roles).AddRequirements(new ApiScopeRequirement(permission.Area)));
        }

        return services;
    }

    /// <summary>Lets shared services know who acts in an HTTP request (circuits are set by their handler).</summary>
    public static IApplicationBuilder UseCurrentUser(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.RequestServices.GetRequiredService<CurrentUser>().Set(context.User);
            await next(context);
        });
}
