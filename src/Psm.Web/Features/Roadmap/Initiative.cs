using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Account;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Roadmap;

public enum InitiativeStatus { Idea, Backlog, Planned, InProgress, Released, Measuring, Done, Dropped }

public sealed class Initiative : IVersioned, IListable
{
    public Guid Id { get; set; } = NewId.Next();

    /// <summary>The initiative's title.</summary>
    public string Name { get; set; } = "";

    public string Problem { get; set; } = "";
    public string ExpectedOutcome { get; set; } = "";
    public Guid? OwnerId { get; set; }
    public PsmUser? Owner { get; set; }
    public string Team { get; set; } = "";
    public InitiativeStatus Status { get; set; }
    public DateOnly? PlannedStart { get; set; }
    public DateOnly? PlannedEnd { get; set; }
    public DateOnly? ReleasedOn { get; set; }

    // Current scores; every change is also kept in ScoreChanges.
    public int? Reach { get; set; }
    public decimal? Impact { get; set; }
    public int? Confidence { get; set; }

    /// <summary>Person-months: RICE's effort, and what the alignment score weighs initiatives by.</summary>
    public decimal? Effort { get; set; }

    public decimal? RiceScore { get; set; }
    public Moscow? Moscow { get; set; }
    public decimal? WeightedScore { get; set; }

    public List<Product> Products { get; set; } = [];
    public List<Service> Services { get; set; } = [];
    public List<InitiativeObjective> Objectives { get; set; } = [];
    public List<InitiativeDependency> DependsOn { get; set; } = [];
    public List<CriterionScore> CriterionScores { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>An initiative serves an objective; the note says how.</summary>
public sealed class InitiativeObjective
{
    public Guid InitiativeId { get; set; }
    public Guid ObjectiveId { get; set; }
    public Objective? Objective { get; set; }
    public string Contribution { get; set; } = "";
}

public sealed class InitiativeDependency
{
    public Guid InitiativeId { get; set; }
    public Guid DependsOnId { get; set; }
    public Initiative? DependsOn { get; set; }
}

/// <summary>One criterion of the weighted scoring model that admins and product managers edit.</summary>
public sealed class ScoringCriterion
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public decimal Weight { get; set; } = 1;
    public int Position { get; set; }
    public bool Retired { get; set; }
}

public sealed class CriterionScore
{
    public Guid InitiativeId { get; set; }
    public Guid CriterionId { get; set; }
    public int Score { get; set; }
}

/// <summary>A snapshot of an initiative's scores after each change, so reviews can show how they moved.</summary>
public sealed class ScoreChange
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid InitiativeId { get; set; }
    public DateTimeOffset At { get; set; }
    public string UserName { get; set; } = "";
    public int? Reach { get; set; }
    public decimal? Impact { get; set; }
    public int? Confidence { get; set; }
    public decimal? Effort { get; set; }
    public decimal? RiceScore { get; set; }
    public Moscow? Moscow { get; set; }
    public decimal? WeightedScore { get; set; }

    /// <summary>JSON: criterion name to score.</summary>
    public string Criteria { get; set; } = "{}";
}

public class InitiativeInput
{
    [Required(ErrorMessage = "Title is required.")]
    [StringLength(200, ErrorMessage = "Title must be at most 200 characters.")]
    public string Title { get; set; } = "";

    [StringLength(4000, ErrorMessage = "Problem must be at most 4000 characters.")]
    public string Problem { get; set; } = "";

    [StringLength(4000, ErrorMessage = "Expected outcome must be at most 4000 characters.")]
    public string ExpectedOutcome { get; set; } = "";

    public Guid? OwnerId { get; set; }

    [StringLength(100, ErrorMessage = "Team must be at most 100 characters.")]
    public string Team { get; set; } = "";

    public DateOnly? PlannedStart { get; set; }
    public DateOnly? PlannedEnd { get; set; }
    public List<Guid> ProductIds { get; set; } = [];
    public List<Guid> ServiceIds { get; set; } = [];
    public List<ObjectiveLinkInput> Objectives { get; set; } = [];
    public List<Guid> DependsOn { get; set; } = [];
}

public sealed class ObjectiveLinkInput
{
    public Guid ObjectiveId { get; set; }

    [StringLength(1000, ErrorMessage = "Contribution must be at most 1000 characters.")]
    public string Contribution { get; set; } = "";
}

public sealed class InitiativeUpdate : InitiativeInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

public sealed class StatusMove
{
    public InitiativeStatus Status { get; set; }

    /// <summary>When moving to Released: the day it actually shipped, if not today (never in the future).</summary>
    public DateOnly? ReleasedOn { get; set; }
}

public sealed class ScoresInput
{
    public int? Reach { get; set; }
    public decimal? Impact { get; set; }
    public int? Confidence { get; set; }
    public decimal? Effort { get; set; }
    public Moscow? Moscow { get; set; }

    /// <summary>Criterion id to a score from 1 to 5.</summary>
    public Dictionary<Guid, int> Criteria { get; set; } = [];
}

public sealed class CriterionInput
{
    public Guid? Id { get; set; }

    [Required(ErrorMessage = "Name each criterion.")]
    [StringLength(100)]
    public string Name { get; set; } = "";

    [StringLength(500)]
    public string Description { get; set; } = "";

    [Range(0.1, 100, ErrorMessage = "Weight must be between 0.1 and 100.")]
    public decimal Weight { get; set; } = 1;
}

public sealed record InitiativeSummaryDto(
    Guid Id, string Title, InitiativeStatus Status, NamedRef? Owner, string Team, DateOnly? PlannedStart, DateOnly? PlannedEnd,
    DateOnly? ReleasedOn, decimal? RiceScore, Moscow? Moscow, decimal? WeightedScore, decimal? Effort, int ObjectiveCount,
    int ActiveObjectiveCount, DateTimeOffset CreatedAt, Guid Version);

public sealed record ObjectiveLinkDto(Guid ObjectiveId, string Title, ObjectiveStatus Status, string Contribution);

public sealed record CriterionScoreDto(Guid CriterionId, string Name, decimal Weight, int? Score);

public sealed record InitiativeDto(
    InitiativeSummaryDto Summary, string Problem, string ExpectedOutcome, int? Reach, decimal? Impact, int? Confidence,
    IReadOnlyList<NamedRef> Products, IReadOnlyList<NamedRef> Services, IReadOnlyList<ObjectiveLinkDto> Objectives,
    IReadOnlyList<NamedRef> DependsOn, IReadOnlyList<CriterionScoreDto> Criteria);

public sealed record ScoreChangeDto(
    DateTimeOffset At, string UserName, decimal? RiceScore, Moscow? Moscow, decimal? WeightedScore, int? Reach, decimal? Impact,
    int? Confidence, decimal? Effort, string Criteria);

public sealed record CriterionDto(Guid Id, string Name, string Description, decimal Weight, int Position);

public sealed record RankedInitiative(
    InitiativeSummaryDto Initiative, int Rank, IReadOnlyList<string> Disagreements, CustomerEvidence Evidence);

/// <summary>How much customer feedback backs an initiative: items, distinct customers, their combined lifetime value.</summary>
public sealed record CustomerEvidence(int Items, int Customers, decimal CustomerRevenue);

internal sealed class RoadmapConfiguration :
    IEntityTypeConfiguration<Initiative>, IEntityTypeConfiguration<InitiativeObjective>, IEntityTypeConfiguration<InitiativeDependency>,
    IEntityTypeConfiguration<ScoringCriterion>, IEntityTypeConfiguration<CriterionScore>, IEntityTypeConfiguration<ScoreChange>
{
    public void Configure(EntityTypeBuilder<Initiative> initiative)
    {
        initiative.ToTable("Initiatives");
        initiative.Property(i => i.Name).HasMaxLength(200);
        initiative.Property(i => i.Problem).HasMaxLength(4000);
        initiative.Property(i => i.ExpectedOutcome).HasMaxLength(4000);
        initiative.Property(i => i.Team).HasMaxLength(100);
        initiative.Property(i => i.Status).HasConversion<string>().HasMaxLength(16);
        initiative.Property(i => i.Moscow).HasConversion<string>().HasMaxLength(8);
        initiative.Property(i => i.Impact).HasPrecision(6, 2);
        initiative.Property(i => i.Effort).HasPrecision(9, 2);
        initiative.Property(i => i.RiceScore).HasPrecision(18, 2);
        initiative.Property(i => i.WeightedScore).HasPrecision(6, 1);
        initiative.HasOne(i => i.Owner).WithMany().HasForeignKey(i => i.OwnerId).OnDelete(DeleteBehavior.SetNull);
        initiative.HasMany(i => i.Products).WithMany().UsingEntity("InitiativeProducts");
        initiative.HasMany(i => i.Services).WithMany().UsingEntity("InitiativeServices");
        initiative.HasIndex(i => new { i.Status, i.RiceScore });
        initiative.HasIndex(i => new { i.CreatedAt, i.Id });
        initiative.HasIndex(i => new { i.Name, i.Id });
    }

    public void Configure(EntityTypeBuilder<InitiativeObjective> link)
    {
        link.ToTable("InitiativeObjectives");
        link.HasKey(l => new { l.InitiativeId, l.ObjectiveId });
        link.Property(l => l.Contribution).HasMaxLength(1000);
        link.HasOne<Initiative>().WithMany(i => i.Objectives).HasForeignKey(l => l.InitiativeId).OnDelete(DeleteBehavior.Cascade);
        link.HasOne(l => l.Objective).WithMany().HasForeignKey(l => l.ObjectiveId).OnDelete(DeleteBehavior.Cascade);
        link.HasIndex(l => l.ObjectiveId);
    }

    public void Configure(EntityTypeBuilder<InitiativeDependency> dependency)
    {
        dependency.ToTable("InitiativeDependencies");
        dependency.HasKey(d => new { d.InitiativeId, d.DependsOnId });
        dependency.HasOne<Initiative>().WithMany(i => i.DependsOn).HasForeignKey(d => d.InitiativeId).OnDelete(DeleteBehavior.Cascade);
        dependency.HasOne(d => d.DependsOn).WithMany().HasForeignKey(d => d.DependsOnId).OnDelete(DeleteBehavior.Restrict);
    }

    public void Configure(EntityTypeBuilder<ScoringCriterion> criterion)
    {
        criterion.ToTable("ScoringCriteria");
        criterion.Property(c => c.Name).HasMaxLength(100);
        criterion.Property(c => c.Description).HasMaxLength(500);
        criterion.Property(c => c.Weight).HasPrecision(9, 2);
    }

    public void Configure(EntityTypeBuilder<CriterionScore> score)
    {
        score.ToTable("CriterionScores");
        score.HasKey(s => new { s.InitiativeId, s.CriterionId });
        score.HasOne<Initiative>().WithMany(i => i.CriterionScores).HasForeignKey(s => s.InitiativeId).OnDelete(DeleteBehavior.Cascade);
        score.HasOne<ScoringCriterion>().WithMany().HasForeignKey(s => s.CriterionId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ScoreChange> change)
    {
        change.ToTable("ScoreChanges");
        change.Property(c => c.UserName).HasMaxLength(256);
        change.Property(c => c.Moscow).HasConversion<string>().HasMaxLength(8);
        change.Property(c => c.Impact).HasPrecision(6, 2);
        change.Property(c => c.Effort).HasPrecision(9, 2);
        change.Property(c => c.RiceScore).HasPrecision(18, 2);
        change.Property(c => c.WeightedScore).HasPrecision(6, 1);
        change.HasOne<Initiative>().WithMany().HasForeignKey(c => c.InitiativeId).OnDelete(DeleteBehavior.Cascade);
        change.HasIndex(c => new { c.InitiativeId, c.At });
    }
}
