using System.Text;
using Microsoft.AspNetCore.Authorization;

namespace Psm.Web.Infrastructure.Auth;

/// <summary>An API operation and the permissions (all of them) its caller needs.</summary>
public sealed record GuardedOperation(string Method, string Route, string Name, IReadOnlyList<string> Permissions)
{
    /// <summary>The roles that hold every permission the operation needs.</summary>
    public IReadOnlyList<string> Roles => Auth.Roles.All.Where(r => Permissions.All(p => Auth.Permissions.Get(p).Allows(r))).ToList();
}

/// <summary>
/// Reads which permission each API endpoint names, from the endpoints themselves, so the admin page and
/// docs/permissions.md show what the code enforces rather than what someone wrote down.
/// </summary>
public static class PermissionCatalog
{
    public static IReadOnlyList<GuardedOperation> Operations(EndpointDataSource endpoints) =>
        endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/", StringComparison.Ordinal) == true
                && e.Metadata.GetMetadata<IAllowAnonymous>() is null
                && e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null)
            .Select(e => new GuardedOperation(
                e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.FirstOrDefault() ?? "GET",
                e.RoutePattern.RawText!,
                e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName,
                e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList()))
            .OrderBy(o => o.Route, StringComparer.Ordinal).ThenBy(o => o.Method, StringComparer.Ordinal)
            .ToList();

    /// <summary>docs/permissions.md: the matrix, then each permission's operations. A test keeps the file equal to this.</summary>
    public static string Markdown(IReadOnlyList<GuardedOperation> operations)
    {
        var text = new StringBuilder();
        text.AppendLine("# Permissions");
        text.AppendLine();
        text.AppendLine("Generated from `Infrastructure/Auth/Permissions.cs` and the endpoints themselves; `PermissionMatrixTests` fails when this");
        text.AppendLine("file differs (run the suite with `PSM_WRITE_DOCS=1` to rewrite it). The same table is on the admin page **Permissions**.");
        text.AppendLine("An operation needs every permission listed for it: its area's read permission and, for a change, the change's own.");
        text.AppendLine();
        text.Append("| area | action | permission |");
        foreach (var role in Roles.All)
        {
            text.Append(' ').Append(Roles.Describe(role)).Append(" |");
        }

        text.AppendLine().Append("|---|---|---|").AppendLine(string.Concat(Roles.All.Select(_ => "---|")));
        foreach (var permission in Permissions.Matrix)
        {
            text.Append($"| {permission.Area} | {permission.Action} | `{permission.Name}` |");
            foreach (var role in Roles.All)
            {
                text.Append(permission.Allows(role) ? " yes |" : " |");
            }

            text.AppendLine();
        }

        text.AppendLine();
        text.AppendLine("## Operations by permission");
        foreach (var permission in Permissions.Matrix)
        {
            var guarded = operations.Where(o => Decisive(o) == permission.Name).ToList();
            text.AppendLine();
            text.AppendLine($"### `{permission.Name}`: {permission.Description}");
            text.AppendLine();
            if (guarded.Count == 0)
            {
                text.AppendLine("No API operation needs this permission on its own.");
                continue;
            }

            foreach (var op in guarded)
            {
                text.AppendLine($"- `{op.Method} {op.Route}` ({op.Name})");
            }
        }

        return text.ToString();
    }

    /// <summary>The permission that decides an operation: the one held by the fewest roles.</summary>
    public static string? Decisive(GuardedOperation op) =>
        op.Permissions.OrderBy(p => Permissions.Get(p).Roles.Count).ThenBy(p => p, StringComparer.Ordinal).FirstOrDefault();
}
