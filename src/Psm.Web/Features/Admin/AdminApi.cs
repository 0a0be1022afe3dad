using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Persistence;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Admin;

public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(Permissions.AdminUsers);
        users.MapGet("/", ListUsers).WithName("ListUsers").WithSummary("Lists users with their roles (admins only).");
        users.MapPost("/", CreateUser).WithName("CreateUser")
            .WithSummary("Creates a user with roles; without a password, returns a generated one-time password.");
        users.MapPut("/{id:guid}/roles", SetRoles).WithName("SetUserRoles").WithSummary("Replaces a user's roles.");
        users.MapPost("/{id:guid}/deactivate", Deactivate).WithName("DeactivateUser")
            .WithSummary("Deactivates a user: no sign-in, no API keys.");
        users.MapPost("/{id:guid}/reactivate", Reactivate).WithName("ReactivateUser").WithSummary("Reactivates a user.");
        users.MapPost("/{id:guid}/password-reset", (Guid id, bool? mail, AccountSecurity security, CancellationToken ct) =>
                ApiResults.Found(security.IssueResetLinkAsync(id, mail ?? false, ct)))
            .WithName("IssuePasswordResetLink")
            .WithSummary("Issues a link (valid 24 hours) with which the user sets a new password. With mail=true it is also mailed to them from the first enabled mailbox (mailedTo says so); otherwise hand it over yourself. Audit-logged.");

        api.MapGet("/audit", ListAudit).WithTags("Audit").RequireAuthorization(Permissions.AdminAudit)
            .WithName("ListAuditEntries").WithSummary("Lists audit entries newest first, filtered, one page at a time.");
        api.MapGet("/audit/export.csv", ExportAudit).WithTags("Audit").RequireAuthorization(Permissions.AdminAudit)
            .WithName("ExportAuditEntries").ReadsFromReplica().WithSummary("Exports the audit entries matching the filters as CSV.");
        api.MapGet("/jobs", ListJobs).WithTags("Operations").RequireAuthorization(Permissions.AdminJobs)
            .WithName("ListJobs").WithSummary("Lists the background jobs: the instance holding each (once-across-instances jobs), its last run, the runs so far and the last error.");
        api.MapGet("/replica", async (ReadReplica replica, CancellationToken ct) => TypedResults.Ok(await replica.StatusAsync(ct)))
            .WithTags("Operations").RequireAuthorization(Permissions.AdminJobs).WithName("GetReplicaStatus")
            .WithSummary("The read replica reports read from (ConnectionStrings:PsmReplica): whether one is configured, and how many seconds it is behind (0: up to date; null with a problem when it does not answer).");
        users.MapGet("/export.csv", ExportUsers).WithName("ExportUsers").WithSummary("Exports users and their roles as CSV (audit-logged).")
            .AuditedExport("User");
        return api;
    }

    private static Task ExportAudit(
        HttpContext http, AuditLog log, string? entity, string? entityKey, string? user, string? action,
        DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        // Checked before the first byte is written: once streaming starts, an error can only reset the connection.
        if (from is { } start && to is { } end && start > end)
        {
            throw new RequestValidationException("from", "'from' must not be after 'to'.");
        }

        var filter = new AuditFilter(entity, entityKey, user, action, from?.ToUniversalTime(), to?.ToUniversalTime());
        return Csv.WriteAsync(http.Response, "audit-log.csv",
            ["at", "user", "action", "entity", "key", "changes"], Rows(log.StreamAsync(filter, ct)), ct);

        static async IAsyncEnumerable<string?[]> Rows(IAsyncEnumerable<AuditEntryDto> entries)
        {
            await foreach (var e in entries)
            {
                yield return [e.At.ToString("O"), e.UserName, e.Action, e.Entity, e.EntityKey, e.Changes];
            }
        }
    }

    private static async Task ExportUsers(HttpContext http, UserAdministration admin, string? search, CancellationToken ct)
    {
        var users = await admin.ListAsync(search, ct);
        await Csv.WriteAsync(http.Response, "users.csv", ["email", "display_name", "roles", "active", "created_at"],
            users.Select(u => new[]
            {
                u.Email, u.DisplayName, string.Join(";", u.Roles), u.Active ? "yes" : "no", u.CreatedAt.ToString("O"),
            }).ToAsyncEnumerable(), ct);
    }

    private static async Task<Ok<IReadOnlyList<JobDto>>> ListJobs(IDbContextFactory<PsmDb> dbs, TimeProvider time, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return TypedResults.Ok(await Leases.JobsAsync(db, time.GetUtcNow(), ct));
    }

    private static async Task<Ok<IReadOnlyList<UserDto>>> ListUsers(UserAdministration admin, string? search, CancellationToken ct) =>
        TypedResults.Ok(await admin.ListAsync(search, ct));

    private static async Task<Created<CreatedUser>> CreateUser(NewUser input, UserAdministration admin, CancellationToken ct)
    {
        var created = await admin.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/users/{created.User.Id}", created);
    }

    private static async Task<Results<Ok<UserDto>, NotFound>> SetRoles(
        Guid id, RoleAssignment input, UserAdministration admin, CancellationToken ct) =>
        await admin.SetRolesAsync(id, input.Roles, ct) is { } user ? TypedResults.Ok(user) : TypedResults.NotFound();

    private static async Task<Results<Ok<UserDto>, NotFound>> Deactivate(Guid id, UserAdministration admin, CancellationToken ct) =>
        await admin.SetActiveAsync(id, active: false, ct) is { } user ? TypedResults.Ok(user) : TypedResults.NotFound();

    private static async Task<Results<Ok<UserDto>, NotFound>> Reactivate(Guid id, UserAdministration admin, CancellationToken ct) =>
        await admin.SetActiveAsync(id, active: true, ct) is { } user ? TypedResults.Ok(user) : TypedResults.NotFound();

    private static async Task<Ok<Page<AuditEntryDto>>> ListAudit(
        AuditLog log, string? entity, string? entityKey, string? user, string? action,
        DateTimeOffset? from, DateTimeOffset? to, int? limit, string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await log.ListAsync(
            new AuditFilter(entity, entityKey, user, action, from?.ToUniversalTime(), to?.ToUniversalTime()),
            PageRequest.Parse(limit, cursor), ct));
}
