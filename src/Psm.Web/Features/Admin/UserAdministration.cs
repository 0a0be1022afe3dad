using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Admin;

public sealed record UserDto(
    Guid Id, string Email, string DisplayName, IReadOnlyList<string> Roles, bool Active,
    DateTimeOffset CreatedAt, DateTimeOffset? DeactivatedAt, DateTimeOffset? LockedOutUntil);

public sealed class NewUser
{
    [Required(ErrorMessage = "Email is required.")]
    [EmailAddress(ErrorMessage = "Email must be an email address.")]
    [StringLength(256)]
    public string Email { get; set; } = "";

    [Required(ErrorMessage = "Display name is required.")]
    [StringLength(200, ErrorMessage = "Display name must be at most 200 characters.")]
    public string DisplayName { get; set; } = "";

    [MinLength(1, ErrorMessage = "Give the user at least one role.")]
    public List<string> Roles { get; set; } = [];

    /// <summary>Leave empty to have PSM generate a one-time password to hand over.</summary>
    public string? Password { get; set; }
}

public sealed record CreatedUser(UserDto User, string? GeneratedPassword);

public sealed class RoleAssignment
{
    [MinLength(1, ErrorMessage = "Give the user at least one role.")]
    public List<string> Roles { get; set; } = [];
}

/// <summary>Admin work on accounts: create, assign roles, deactivate. Pages and API share it.</summary>
public sealed class UserAdministration(UserManager<PsmUser> users, PsmDb db, TimeProvider time, CurrentUser currentUser, ApiKeyCache apiKeys)
{
    public async Task<IReadOnlyList<UserDto>> ListAsync(string? search, CancellationToken ct = default)
    {
        var query = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim().ToLowerInvariant();
            query = query.Where(u => u.Email!.ToLower().Contains(term) || u.DisplayName.ToLower().Contains(term));
        }

        var rows = await query.OrderBy(u => u.Email).ToListAsync(ct);
        var ids = rows.Select(u => u.Id).ToList();
        var roles = await db.UserRoles.Where(ur => ids.Contains(ur.UserId))
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name })
            .ToListAsync(ct);
        var byUser = roles.ToLookup(r => r.UserId, r => r.Name!);
        return rows.Select(u => ToDto(u, byUser[u.Id].Order().ToList())).ToList();
    }

    public async Task<CreatedUser> CreateAsync(NewUser input, CancellationToken ct = default)
    {
        CheckRoles(input.Roles);
        if (await users.FindByEmailAsync(input.Email.Trim()) is not null)
        {
            throw new RequestValidationException(nameof(NewUser.Email), "A user with this email already exists.");
        }

        var generated = string.IsNullOrEmpty(input.Password) ? GeneratePassword() : null;
        var user = new PsmUser
        {
            Email = input.Email.Trim(),
            UserName = input.Email.Trim(),
            DisplayName = input.DisplayName.Trim(),
            EmailConfirmed = true,
            CreatedAt = time.GetUtcNow(),
            MustChangePassword = generated is not null,
        };

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        Check(await users.CreateAsync(user, generated ?? input.Password!), nameof(NewUser.Password));
        Check(await users.AddToRolesAsync(user, input.Roles.Distinct()), nameof(NewUser.Roles));
        await transaction.CommitAsync(ct);
        return new CreatedUser(ToDto(user, input.Roles.Distinct().Order().ToList()), generated);
    }

    public async Task<UserDto?> SetRolesAsync(Guid id, IReadOnlyCollection<string> roles, CancellationToken ct = default)
    {
        CheckRoles(roles);
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return null;
        }

        if (user.Id == currentUser.Actor.UserId && !roles.Contains(Roles.Admin))
        {
            throw new RequestValidationException(nameof(RoleAssignment.Roles), "You cannot remove your own Admin role.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var current = await users.GetRolesAsync(user);
        Check(await users.RemoveFromRolesAsync(user, current.Except(roles)), nameof(RoleAssignment.Roles));
        Check(await users.AddToRolesAsync(user, roles.Except(current).Distinct()), nameof(RoleAssignment.Roles));
        await users.UpdateSecurityStampAsync(user);
        await transaction.CommitAsync(ct);
        apiKeys.Forget();
        return ToDto(user, roles.Distinct().Order().ToList());
    }

    /// <summary>Deactivating also rotates the security stamp, so open sessions end within a minute.</summary>
    public async Task<UserDto?> SetActiveAsync(Guid id, bool active, CancellationToken ct = default)
    {
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return null;
        }

        if (!active && user.Id == currentUser.Actor.UserId)
        {
            throw new RequestValidationException("id", "You cannot deactivate your own account.");
        }

        if (user.IsActive != active)
        {
            user.DeactivatedAt = active ? null : time.GetUtcNow();
            Check(await users.UpdateAsync(user), "id");
            await users.UpdateSecurityStampAsync(user);
            apiKeys.Forget();
        }

        return ToDto(user, (await users.GetRolesAsync(user)).Order().ToList());
    }

    private static void CheckRoles(IEnumerable<string> roles)
    {
        var unknown = roles.Except(Roles.All).ToList();
        if (unknown.Count > 0)
        {
            throw new RequestValidationException(nameof(NewUser.Roles),
                $"Unknown role(s): {string.Join(", ", unknown)}. Roles are {string.Join(", ", Roles.All)}.");
        }
    }

    private static void Check(IdentityResult result, string field)
    {
        if (!result.Succeeded)
        {
            throw new RequestValidationException(field, string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }

    /// <summary>16 random characters from a set without look-alikes, with every class Identity requires.</summary>
    public static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnpqrstuvwxyz", upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", digits = "23456789", symbols = "!#$%*+-?";
        var all = lower + upper + digits + symbols;
        var chars = new char[16];
        chars[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        chars[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < chars.Length; i++)
        {
            chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        }

        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }

    private static UserDto ToDto(PsmUser u, IReadOnlyList<string> roles) =>
        new(u.Id, u.Email ?? "", u.DisplayName, roles, u.IsActive, u.CreatedAt, u.DeactivatedAt,
            u.LockoutEnd > DateTimeOffset.UtcNow ? u.LockoutEnd : null);
}
