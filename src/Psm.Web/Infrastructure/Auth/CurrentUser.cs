using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Psm.Web.Infrastructure.Auth;

public sealed record Actor(Guid? UserId, string Name)
{
    public static readonly Actor System = new(null, "system");
}

/// <summary>
/// Who is acting in this scope: the HTTP request's user for the API, the circuit's user for the UI
/// (a Blazor circuit has no HttpContext once it is running).
/// </summary>
public sealed class CurrentUser
{
    private ClaimsPrincipal? principal;

    public ClaimsPrincipal? Principal => principal;

    public void Set(ClaimsPrincipal? user) => principal = user;

    public Actor Actor
    {
        get
        {
            if (principal?.Identity?.IsAuthenticated != true)
            {
                return Actor.System;
            }

            var id = Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var parsed) ? parsed : (Guid?)null;
            return new Actor(id, principal.Identity.Name ?? "unknown");
        }
    }

    /// <summary>Whether the user's roles hold a permission of the matrix (the system itself holds every one).</summary>
    public bool Holds(string permission) =>
        principal?.Identity?.IsAuthenticated != true || Permissions.Get(permission).Roles.Any(principal.IsInRole);

    public Guid RequireUserId() =>
        Actor.UserId ?? throw new InvalidOperationException("This operation needs a signed-in user.");
}

public sealed class CurrentUserCircuitHandler(AuthenticationStateProvider authentication, CurrentUser currentUser)
    : CircuitHandler, IDisposable
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        authentication.AuthenticationStateChanged += OnChanged;
        currentUser.Set((await authentication.GetAuthenticationStateAsync()).User);
    }

    private async void OnChanged(Task<AuthenticationState> state)
    {
        try
        {
            currentUser.Set((await state).User);
        }
        catch (Exception)
        {
            currentUser.Set(null);
        }
    }

    public void Dispose() => authentication.AuthenticationStateChanged -= OnChanged;
}
