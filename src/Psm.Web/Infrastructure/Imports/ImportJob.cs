using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Imports;

public enum ImportKind
{
    Feedback,
    SurveyResponses,
    Customers,
    Orders,
    Subscriptions,
    CampaignResults,
}

public enum ImportJobStatus
{
    /// <summary>Staged, waiting for the instance that took the upload to run it.</summary>
    Queued,
    Running,
    /// <summary>Applied (with allOrNothing=false, possibly with rejected rows reported).</summary>
    Succeeded,
    /// <summary>All or nothing, and some rows were bad: nothing was applied; the report says which rows.</summary>
    Refused,
    /// <summary>Could not run to the end (the file, the target, the instance stopped): nothing was applied.</summary>
    Failed,
    Cancelled,
}

/// <summary>
/// A CSV import run in the background: the upload is staged to disk, then applied in one transaction by
/// the instance that took it, which reports progress and a heartbeat here. A job whose heartbeat stops
/// (the process was killed) is marked failed by the next instance that looks; its transaction never committed.
/// </summary>
[NotAudited]
public sealed class ImportJob
{
    public Guid Id { get; set; } = NewId.Next();
    public ImportKind Kind { get; set; }

    /// <summary>The survey or campaign the rows belong to, for the kinds that have one.</summary>
    public Guid? TargetId { get; set; }

    public string FileName { get; set; } = "";
    public long SizeBytes { get; set; }

    /// <summary>The column mapping as "field:Column,..." (the API's form); empty means by name.</summary>
    public string? Mapping { get; set; }

    public bool AllOrNothing { get; set; } = true;
    public ImportJobStatus Status { get; set; }
    public Guid CreatedById { get; set; }
    public string CreatedByName { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The instance that staged the file and runs the job (the file is on its disk).</summary>
    public string Instance { get; set; } = "";

    public DateTimeOffset HeartbeatAt { get; set; }
    public long BytesRead { get; set; }
    public int RowsRead { get; set; }

    /// <summary>Set by a cancel that reached another instance; the owner sees it on its next heartbeat.</summary>
    public bool CancelRequested { get; set; }

    /// <summary>The import's report (rows read, imported, duplicates, rejected rows) as JSON, once it has one.</summary>
    public string? Report { get; set; }

    public string? Error { get; set; }

    public bool IsFinished => Status.IsFinal();

    /// <summary>Queued or running: what a heartbeat, a cancel or a sweep may still change.</summary>
    public static readonly System.Linq.Expressions.Expression<Func<ImportJob, bool>> Unfinished =
        j => j.Status == ImportJobStatus.Queued || j.Status == ImportJobStatus.Running;
}

public static class ImportJobStatuses
{
    /// <summary>Succeeded, refused, failed or cancelled: the job will not change again.</summary>
    public static bool IsFinal(this ImportJobStatus status) =>
        status is ImportJobStatus.Succeeded or ImportJobStatus.Refused or ImportJobStatus.Failed or ImportJobStatus.Cancelled;
}

/// <summary>An import job as the API and the dialog show it. Fraction is the share of the file read so far.</summary>
public sealed record ImportJobDto(
    Guid Id, ImportKind Kind, Guid? TargetId, string FileName, long SizeBytes, ImportJobStatus Status, bool AllOrNothing,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    long BytesRead, int RowsRead, double Fraction, bool CancelRequested, CsvImportResult? Report, string? Error)
{
    public bool IsFinished => Status.IsFinal();
}

internal sealed class ImportJobConfiguration : IEntityTypeConfiguration<ImportJob>
{
    public void Configure(EntityTypeBuilder<ImportJob> job)
    {
        job.ToTable("ImportJobs");
        job.Property(j => j.Kind).HasConversion<string>().HasMaxLength(32);
        job.Property(j => j.Status).HasConversion<string>().HasMaxLength(16);
        job.Property(j => j.FileName).HasMaxLength(260);
        job.Property(j => j.Mapping).HasMaxLength(4000);
        job.Property(j => j.CreatedByName).HasMaxLength(256);
        job.Property(j => j.Instance).HasMaxLength(200);
        job.Property(j => j.Error).HasMaxLength(2000);
        job.HasIndex(j => new { j.CreatedById, j.CreatedAt });
        job.HasIndex(j => new { j.Status, j.HeartbeatAt });
    }
}
