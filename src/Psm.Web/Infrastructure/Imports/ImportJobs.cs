using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Imports;

/// <summary>An upload written to this instance's staging folder, waiting for its job.</summary>
public sealed record StagedUpload(string Path, string FileName, long SizeBytes);

/// <summary>
/// Background imports as the API and the import dialog use them: stage the upload to disk, check its header
/// and mapping at once, queue it, then read its progress, cancel it, read its report. A user sees their own
/// jobs; an admin sees everyone's.
/// </summary>
public sealed class ImportJobs(IDbContextFactory<PsmDb> dbs, ImportJobRunner runner, CurrentUser user, TimeProvider time)
{
    /// <summary>Copies an upload to the staging folder as it arrives (progress in bytes), never holding it in memory.</summary>
    public async Task<StagedUpload> StageAsync(Stream source, string fileName, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(runner.StagingPath);
        var path = System.IO.Path.Combine(runner.StagingPath, $"{NewId.Next():N}.csv");
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
                total += read;
                progress?.Report(total);
            }

            return new StagedUpload(path, Name(fileName), total);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>
    /// Queues a staged upload: the header and mapping are checked now (a bad mapping or an empty file is a
    /// field error, and nothing is queued); the rows are checked when the job runs. Null when the survey or
    /// campaign it targets does not exist.
    /// </summary>
    public async Task<ImportJobDto?> EnqueueAsync(
        ImportKind kind, Guid? target, StagedUpload upload, IReadOnlyDictionary<string, string>? mapping, bool allOrNothing, CancellationToken ct = default)
    {
        var info = ImportKinds.Of(kind);
        var queued = false;
        try
        {
            if (!user.Holds(info.Permission))
            {
                throw new UnauthorizedAccessException($"Importing {info.What} needs the permission {info.Permission}.");
            }

            await using var db = await dbs.CreateDbContextAsync(ct);
            if (info.TargetExists is { } exists && (target is not { } id || !await exists(db, id, ct)))
            {
                return null;
            }

            await CheckHeaderAsync(upload, info, mapping, ct);
            var now = time.GetUtcNow();
            var job = new ImportJob
            {
                Id = Guid.Parse(System.IO.Path.GetFileNameWithoutExtension(upload.Path)),
                Kind = kind,
                TargetId = info.TargetExists is null ? null : target,
                FileName = upload.FileName,
                SizeBytes = upload.SizeBytes,
                Mapping = mapping is { Count: > 0 } ? JsonSerializer.Serialize(mapping) : null,
                AllOrNothing = allOrNothing,
                Status = ImportJobStatus.Queued,
                CreatedById = user.RequireUserId(),
                CreatedByName = user.Actor.Name,
                CreatedAt = now,
                HeartbeatAt = now,
                Instance = Leases.ThisInstance,
            };
            db.ImportJobs.Add(job);
            await db.SaveChangesAsync(ct);
            runner.Enqueue(job.Id, upload.Path);
            queued = true;
            return ToDto(job);
        }
        finally
        {
            if (!queued)
            {
                File.Delete(upload.Path);
            }
        }
    }

    public async Task<ImportJobDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Visible(db).AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, ct) is { } job ? ToDto(job) : null;
    }

    /// <summary>The newest jobs (50) the user may see, optionally of one kind and target, optionally only those not finished.</summary>
    public async Task<IReadOnlyList<ImportJobDto>> ListAsync(ImportKind? kind = null, Guid? target = null, bool unfinishedOnly = false, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = Visible(db).AsNoTracking();
        if (kind is { } k)
        {
            query = query.Where(j => j.Kind == k);
        }

        if (target is { } t)
        {
            query = query.Where(j => j.TargetId == t);
        }

        if (unfinishedOnly)
        {
            query = query.Where(ImportJob.Unfinished);
        }

        var jobs = await query.OrderByDescending(j => j.Id).Take(50).ToListAsync(ct);
        return jobs.Select(ToDto).ToList();
    }

    /// <summary>
    /// Asks the job to stop: at once when this instance runs it, else at the owner's next heartbeat. Its
    /// transaction is rolled back, so nothing of it is kept. A finished job is returned as it is.
    /// </summary>
    public async Task<ImportJobDto?> CancelAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await Visible(db).AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, ct) is not { } job)
        {
            return null;
        }

        if (!job.IsFinished && !runner.TryCancel(id))
        {
            await db.ImportJobs.Where(j => j.Id == id).Where(ImportJob.Unfinished)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true), ct);
            job.CancelRequested = true;
        }

        return ToDto(job);
    }

    private IQueryable<ImportJob> Visible(PsmDb db)
    {
        if (user.Principal?.IsInRole(Roles.Admin) == true)
        {
            return db.ImportJobs;
        }

        var me = user.RequireUserId();
        return db.ImportJobs.Where(j => j.CreatedById == me);
    }

    private ImportJobDto ToDto(ImportJob job)
    {
        var (bytes, rows, cancelled) = !job.IsFinished && runner.Progress(job.Id) is { } now ? now : (job.BytesRead, job.RowsRead, job.CancelRequested);
        var fraction = job.Status == ImportJobStatus.Succeeded ? 1 : job.SizeBytes > 0 ? Math.Min(1, bytes / (double)job.SizeBytes) : 0;
        var report = job.Report is null ? null : JsonSerializer.Deserialize<CsvImportResult>(job.Report, JsonSerializerOptions.Web);
        return new ImportJobDto(job.Id, job.Kind, job.TargetId, job.FileName, job.SizeBytes, job.Status, job.AllOrNothing, job.CreatedByName,
            job.CreatedAt, job.StartedAt, job.FinishedAt, bytes, rows, fraction, cancelled || job.CancelRequested, report, job.Error);
    }

    private static async Task CheckHeaderAsync(StagedUpload upload, ImportKindInfo info, IReadOnlyDictionary<string, string>? mapping, CancellationToken ct)
    {
        await using var file = File.OpenRead(upload.Path);
        using var reader = CsvImport.Reader(file);
        await using var rows = CsvImport.RowsAsync(reader, info.Fields, mapping, ct).GetAsyncEnumerator(ct);
        await rows.MoveNextAsync();
    }

    /// <summary>The file's own name, without any folder a browser or client sent, at most 200 characters.</summary>
    private static string Name(string fileName)
    {
        var name = System.IO.Path.GetFileName(fileName.Replace('\\', '/')).Trim();
        name = new string(name.Where(c => !char.IsControl(c)).ToArray());
        return name.Length == 0 ? "upload.csv" : name.Length > 200 ? name[..200] : name;
    }
}
