using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Views;

/// <summary>A list's filters and sort, saved under a name by one person, shared with a role if they choose, and their default if they say so.</summary>
public sealed class SavedView
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid OwnerId { get; set; }
    public string OwnerName { get; set; } = "";

    /// <summary>Which list: one of <see cref="SavedViews.Lists"/>.</summary>
    public string List { get; set; } = "";
    public string Name { get; set; } = "";

    /// <summary>The list's filters and sort as its page reads them from the address (without the "?").</summary>
    public string Query { get; set; } = "";

    /// <summary>A role whose members see this view too; null keeps it to its owner.</summary>
    public string? SharedWithRole { get; set; }

    /// <summary>The owner's list opens on this view when its address carries no filters.</summary>
    public bool IsDefault { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed record SavedViewDto(Guid Id, string List, string Name, string Query, string Owner, bool Mine, string? SharedWithRole, bool IsDefault);

public sealed class SavedViewInput
{
    [Required(ErrorMessage = "Say which list the view is for.")]
    public string List { get; set; } = "";

    [Required(ErrorMessage = "Give the view a name.")]
    [StringLength(80, MinimumLength = 1, ErrorMessage = "A view's name is 1 to 80 characters.")]
    public string Name { get; set; } = "";

    [StringLength(1000, ErrorMessage = "A view's filters are at most 1000 characters.")]
    public string? Query { get; set; }

    public string? SharedWithRole { get; set; }
    public bool IsDefault { get; set; }
}

/// <summary>Saved views of lists (the queue, customers, feedback, objectives, campaigns, the roadmap board). Each list names the filters its page reads from the address.</summary>
public sealed class SavedViews(IDbContextFactory<PsmDb> dbs, CurrentUser currentUser, TimeProvider time)
{
    /// <summary>The lists that take saved views, the page each opens, and the filters it reads.</summary>
    public static readonly IReadOnlyDictionary<string, (string Page, string[] Filters)> Lists = new Dictionary<string, (string, string[])>
    {
        ["queue"] = ("/service/queue", ["view", "status", "priority", "channel", "teamId", "search", "sort"]),
        ["customers"] = ("/customers", ["search", "country", "includeArchived", "sort"]),
        ["feedback"] = ("/feedback", ["view", "channel", "theme", "search"]),
        ["objectives"] = ("/objectives", ["search", "type", "status", "ownerId", "activeOn", "sort"]),
        ["campaigns"] = ("/campaigns", ["status", "goal"]),
        ["roadmap"] = ("/roadmap", ["productId", "objectiveId", "team", "ownerId"]),
    };

    /// <summary>An enum filter from an address: by name only, and only a value the enum has (as the API reads enums).</summary>
    public static bool TryEnum<T>(Microsoft.Extensions.Primitives.StringValues value, out T result) where T : struct, Enum =>
        Enum.TryParse(value.ToString(), out result) && Enum.IsDefined(result) && !value.ToString().Any(char.IsAsciiDigit);

    /// <summary>
    /// The filters a list opens with: the address's when it names any of the list's filters (a drill-down, a saved view, a
    /// shared link), else the person's default view's, with that view's name.
    /// </summary>
    public async Task<(Dictionary<string, Microsoft.Extensions.Primitives.StringValues> Filters, string? Applied)> OpeningFiltersAsync(
        string list, Uri address, CancellationToken ct = default)
    {
        var filters = QueryHelpers.ParseQuery(address.Query);
        if (!filters.Keys.Any(k => Lists[list].Filters.Contains(k)) && await DefaultAsync(list, ct) is { } preferred)
        {
            return (QueryHelpers.ParseQuery(preferred.Query), preferred.Name);
        }

        return (filters, null);
    }

    public async Task<IReadOnlyList<SavedViewDto>> ListAsync(string list, CancellationToken ct = default)
    {
        var (me, roles) = Caller();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.SavedViews.AsNoTracking()
            .Where(v => v.List == list && (v.OwnerId == me || (v.SharedWithRole != null && roles.Contains(v.SharedWithRole))))
            .ToListAsync(ct);
        return rows.OrderByDescending(v => v.OwnerId == me).ThenBy(v => v.Name, StringComparer.OrdinalIgnoreCase).Select(v => Dto(v, me)).ToList();
    }

    /// <summary>The caller's default view of a list, if they chose one.</summary>
    public async Task<SavedViewDto?> DefaultAsync(string list, CancellationToken ct = default)
    {
        var (me, _) = Caller();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var view = await db.SavedViews.AsNoTracking().FirstOrDefaultAsync(v => v.List == list && v.OwnerId == me && v.IsDefault, ct);
        return view is null ? null : Dto(view, me);
    }

    public async Task<SavedViewDto> CreateAsync(SavedViewInput input, CancellationToken ct = default)
    {
        var (me, _) = Caller();
        var problems = new List<(string, string)>();
        if (!Lists.TryGetValue(input.List, out var list))
        {
            problems.Add(("list", $"There is no list '{input.List}'; views are kept for: {string.Join(", ", Lists.Keys)}."));
        }

        var query = (input.Query ?? "").TrimStart('?');
        var unknown = QueryHelpers.ParseQuery(query).Keys.Where(k => list.Filters is not null && !list.Filters.Contains(k)).ToList();
        if (unknown.Count > 0 && list.Filters is not null)
        {
            problems.Add(("query", $"This list has no filter {string.Join(", ", unknown)}; it reads {string.Join(", ", list.Filters)}."));
        }

        if (input.SharedWithRole is { Length: > 0 } role && !Roles.All.Contains(role))
        {
            problems.Add(("sharedWithRole", $"There is no role '{role}'. Roles are {string.Join(", ", Roles.All)}."));
        }

        RequestValidationException.ThrowIfAny(problems);
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (input.IsDefault)
        {
            foreach (var other in await db.SavedViews.Where(v => v.List == input.List && v.OwnerId == me && v.IsDefault).ToListAsync(ct))
            {
                other.IsDefault = false;
            }
        }

        var view = new SavedView
        {
            OwnerId = me, OwnerName = currentUser.Actor.Name, List = input.List, Name = input.Name.Trim(), Query = query,
            SharedWithRole = string.IsNullOrEmpty(input.SharedWithRole) ? null : input.SharedWithRole, IsDefault = input.IsDefault,
            CreatedAt = time.GetUtcNow(),
        };
        db.SavedViews.Add(view);
        await db.SaveChangesAsync(ct);
        return Dto(view, me);
    }

    /// <summary>Deletes one of the caller's own views; false when they have none with this id.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var (me, _) = Caller();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var view = await db.SavedViews.FirstOrDefaultAsync(v => v.Id == id && v.OwnerId == me, ct);
        if (view is null)
        {
            return false;
        }

        db.SavedViews.Remove(view);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>The address a view opens: its list's page with its filters.</summary>
    public static string Href(SavedViewDto view) =>
        Lists.TryGetValue(view.List, out var list) ? (view.Query.Length == 0 ? list.Page : $"{list.Page}?{view.Query}") : "/";

    private (Guid Me, string[] Roles) Caller()
    {
        var principal = currentUser.Principal;
        var id = Guid.TryParse(principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var parsed) ? parsed : Guid.Empty;
        return (id, Roles.All.Where(r => principal?.IsInRole(r) == true).ToArray());
    }

    private static SavedViewDto Dto(SavedView v, Guid me) => new(v.Id, v.List, v.Name, v.Query, v.OwnerName, v.OwnerId == me, v.SharedWithRole, v.IsDefault);
}

internal sealed class SavedViewConfiguration : IEntityTypeConfiguration<SavedView>
{
    public void Configure(EntityTypeBuilder<SavedView> view)
    {
        view.ToTable("SavedViews");
        view.Property(v => v.OwnerName).HasMaxLength(256);
        view.Property(v => v.List).HasMaxLength(40);
        view.Property(v => v.Name).HasMaxLength(80);
        view.Property(v => v.Query).HasMaxLength(1000);
        view.Property(v => v.SharedWithRole).HasMaxLength(40);
        view.HasIndex(v => new { v.List, v.OwnerId });
        view.HasOne<Account.PsmUser>().WithMany().HasForeignKey(v => v.OwnerId).OnDelete(DeleteBehavior.Cascade);
    }
}
