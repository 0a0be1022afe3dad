using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Roadmap;

/// <summary>
/// A read-only view of the roadmap behind an unguessable link, showing only what its owner chose
/// (for example titles and quarters, not scores). Revoking it makes the link stop working at once.
/// </summary>
public sealed class RoadmapShare
{
    public Guid Id { get; set; } = NewId.Next();
    public string Token { get; set; } = Survey.NewToken();
    public string Title { get; set; } = "";

    /// <summary>Comma-separated statuses shown.</summary>
    public string Statuses { get; set; } = "";
    public bool ShowDates { get; set; }
    public bool ShowOwners { get; set; }
    public bool ShowScores { get; set; }
    public bool ShowProblem { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
}

public sealed record RoadmapShareDto(
    Guid Id, string Title, string Token, string Path, IReadOnlyList<InitiativeStatus> Statuses, bool ShowDates, bool ShowOwners, bool ShowScores,
    bool ShowProblem, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);

public sealed class RoadmapShareInput
{
    [Required(ErrorMessage = "Title is required: what the reader sees at the top.")]
    [StringLength(200, ErrorMessage = "Title must be at most 200 characters.")]
    public string Title { get; set; } = "";

    /// <summary>Which initiatives to show, by status; Planned, In progress and Released when left out.</summary>
    public List<InitiativeStatus>? Statuses { get; set; }

    /// <summary>Exact planned dates; otherwise only the quarter.</summary>
    public bool ShowDates { get; set; }
    public bool ShowOwners { get; set; }
    public bool ShowScores { get; set; }
    public bool ShowProblem { get; set; }
}

public sealed record SharedInitiative(string Title, InitiativeStatus Status, string Quarter, DateOnly? Start, DateOnly? End, string? Owner,
    decimal? RiceScore, Moscow? Moscow, string? Problem);

public sealed record SharedQuarter(string Quarter, IReadOnlyList<SharedInitiative> Initiatives);

public sealed record SharedRoadmapDto(string Title, DateTimeOffset AsOf, bool ShowDates, bool ShowOwners, bool ShowScores, bool ShowProblem,
    IReadOnlyList<SharedQuarter> Quarters);

public sealed class RoadmapSharing(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public static readonly IReadOnlyList<InitiativeStatus> DefaultStatuses = [InitiativeStatus.Planned, InitiativeStatus.InProgress, InitiativeStatus.Released];

    public async Task<IReadOnlyList<RoadmapShareDto>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var shares = await db.Set<RoadmapShare>().AsNoTracking().OrderBy(s => s.RevokedAt != null).ThenByDescending(s => s.CreatedAt).ToListAsync(ct);
        return shares.Select(ToDto).ToList();
    }

    public async Task<RoadmapShareDto> CreateAsync(RoadmapShareInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var statuses = input.Statuses is { Count: > 0 } chosen ? chosen.Distinct().ToList() : DefaultStatuses.ToList();
        var share = new RoadmapShare
        {
            Title = input.Title.Trim(), Statuses = string.Join(',', statuses), ShowDates = input.ShowDates, ShowOwners = input.ShowOwners,
            ShowScores = input.ShowScores, ShowProblem = input.ShowProblem, CreatedAt = time.GetUtcNow(),
            CreatedBy = (db.CurrentUser?.Actor ?? Actor.System).Name,
        };
        db.Set<RoadmapShare>().Add(share);
        await db.SaveChangesAsync(ct);
        return ToDto(share);
    }

    public async Task<RoadmapShareDto?> RevokeAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var share = await db.Set<RoadmapShare>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (share is null)
        {
            return null;
        }

        share.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return ToDto(share);
    }

    /// <summary>The roadmap as a link shows it; null when the link is unknown or revoked.</summary>
    public async Task<SharedRoadmapDto?> ViewAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var share = await db.Set<RoadmapShare>().AsNoTracking().SingleOrDefaultAsync(s => s.Token == token && s.RevokedAt == null, ct);
        if (share is null)
        {
            return null;
        }

        var statuses = ParseStatuses(share.Statuses);
        var rows = await db.Initiatives.AsNoTracking().Where(i => statuses.Contains(i.Status))
            .OrderBy(i => i.PlannedStart == null).ThenBy(i => i.PlannedStart).ThenBy(i => i.Name)
            .Select(i => new { i.Name, i.Status, i.PlannedStart, i.PlannedEnd, Owner = i.Owner == null ? null : i.Owner.DisplayName, i.RiceScore, i.Moscow, i.Problem })
            .ToListAsync(ct);
        // Only what the owner chose leaves the building: the rest is never put in the response.
        var items = rows.Select(r => new SharedInitiative(r.Name, r.Status, Quarter(r.PlannedStart), share.ShowDates ? r.PlannedStart : null,
            share.ShowDates ? r.PlannedEnd : null, share.ShowOwners ? r.Owner : null, share.ShowScores ? r.RiceScore : null,
            share.ShowScores ? r.Moscow : null, share.ShowProblem ? r.Problem : null));
        var quarters = items.GroupBy(i => i.Quarter).Select(g => new SharedQuarter(g.Key, g.ToList())).ToList();
        return new SharedRoadmapDto(share.Title, time.GetUtcNow(), share.ShowDates, share.ShowOwners, share.ShowScores, share.ShowProblem, quarters);
    }

    public static string Quarter(DateOnly? day) => day is { } d ? $"Q{((d.Month - 1) / 3) + 1} {d.Year}" : "Not scheduled";

    private static List<InitiativeStatus> ParseStatuses(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<InitiativeStatus>).ToList();

    private static RoadmapShareDto ToDto(RoadmapShare s) =>
        new(s.Id, s.Title, s.Token, "/share/" + s.Token, ParseStatuses(s.Statuses), s.ShowDates, s.ShowOwners, s.ShowScores, s.ShowProblem,
            s.CreatedAt, s.CreatedBy, s.RevokedAt);
}

internal sealed class RoadmapShareConfiguration : IEntityTypeConfiguration<RoadmapShare>
{
    public void Configure(EntityTypeBuilder<RoadmapShare> share)
    {
        share.ToTable("RoadmapShares");
        share.Property(s => s.Token).HasMaxLength(40);
        share.HasIndex(s => s.Token).IsUnique();
        share.Property(s => s.Title).HasMaxLength(200);
        share.Property(s => s.Statuses).HasMaxLength(200);
        share.Property(s => s.CreatedBy).HasMaxLength(200);
    }
}
