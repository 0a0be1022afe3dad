using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Imports;

/// <summary>
/// Runs this instance's import jobs one at a time, in the order they were staged, each as the user who
/// started it. Every <c>Imports:HeartbeatSeconds</c> it writes its jobs' progress and heartbeat, picks up
/// cancels that reached another instance, and marks failed the jobs of instances whose heartbeat stopped
/// for <c>Imports:StaleAfterSeconds</c> (their transaction never committed, so nothing of them was applied).
/// On SQLite, where one import holds the write lock until it ends, progress is read from memory meanwhile.
/// </summary>
public sealed class ImportJobRunner(
    IServiceScopeFactory scopes, IConfiguration configuration, TimeProvider time, ILogger<ImportJobRunner> logger) : BackgroundService
{
    public const string InstanceStopped =
        "The PSM instance running this import stopped before it finished, so nothing was imported. Import the file again.";

    private readonly ConcurrentDictionary<Guid, LiveJob> live = new();
    private readonly Channel<Guid> queue = Channel.CreateUnbounded<Guid>();

    /// <summary>Where uploads wait for their job (Imports:StagingPath; the system's temporary folder unless set).</summary>
    public string StagingPath => configuration["Imports:StagingPath"] is { Length: > 0 } path ? path : Path.Combine(Path.GetTempPath(), "psm-imports");

    private TimeSpan Heartbeat => TimeSpan.FromSeconds(Math.Max(0.2, configuration.GetValue("Imports:HeartbeatSeconds", 2.0)));

    private TimeSpan StaleAfter => TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Imports:StaleAfterSeconds", 60.0)));

    public void Enqueue(Guid id, string stagedPath)
    {
        live[id] = new LiveJob(stagedPath);
        queue.Writer.TryWrite(id);
    }

    /// <summary>Cancels a job this instance holds; false when another instance holds it (or none does).</summary>
    public bool TryCancel(Guid id)
    {
        if (!live.TryGetValue(id, out var job))
        {
            return false;
        }

        job.Cancel.Cancel();
        return true;
    }

    /// <summary>The progress of a job this instance holds, fresher than the row's last heartbeat.</summary>
    public (long Bytes, int Rows, bool CancelRequested)? Progress(Guid id) =>
        live.TryGetValue(id, out var job) ? (Interlocked.Read(ref job.Bytes), Volatile.Read(ref job.Rows), job.Cancel.IsCancellationRequested) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watch = WatchAsync(stoppingToken);
        try
        {
            await foreach (var id in queue.Reader.ReadAllAsync(stoppingToken))
            {
                await RunAsync(id, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await watch;
    }

    private async Task RunAsync(Guid id, CancellationToken stopping)
    {
        if (!live.TryGetValue(id, out var entry))
        {
            return;
        }

        var (status, report, error) = (ImportJobStatus.Failed, (CsvImportResult?)null, (string?)null);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var job = await StartAsync(services, id, entry);
            if (job is null)
            {
                return;
            }

            var kind = ImportKinds.Of(job.Kind);
            if (await ActAsCreatorAsync(services, job, kind) is { } refused)
            {
                error = refused;
                return;
            }

            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping, entry.Cancel.Token);
            try
            {
                await using var file = new FileStream(entry.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
                var counting = new CountingStream(file);
                using var reader = CsvImport.Reader(counting);
                var mapping = job.Mapping is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(job.Mapping);
                var progress = new Reporter(rows =>
                {
                    Volatile.Write(ref entry.Rows, rows);
                    Interlocked.Exchange(ref entry.Bytes, counting.BytesRead);
                });
                report = await kind.Run(services, job.TargetId, reader, mapping, job.AllOrNothing, progress, cancel.Token);
                Interlocked.Exchange(ref entry.Bytes, counting.BytesRead);
                (status, error) = report switch
                {
                    null => (ImportJobStatus.Failed, $"The {kind.Target} no longer exists, so nothing was imported."),
                    { Applied: true } => (ImportJobStatus.Succeeded, null),
                    _ => (ImportJobStatus.Refused, null),
                };
            }
            catch (OperationCanceledException) when (entry.Cancel.IsCancellationRequested)
            {
                (status, error) = (ImportJobStatus.Cancelled, "Cancelled, so nothing was imported.");
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                error = InstanceStopped;
            }
            catch (RequestValidationException invalid)
            {
                error = string.Join(" ", invalid.Errors.SelectMany(e => e.Value));
            }
            catch (FileNotFoundException)
            {
                error = "The uploaded file is no longer on this instance, so nothing was imported. Import the file again.";
            }
        }
        catch (OperationCanceledException) when (entry.Cancel.IsCancellationRequested)
        {
            (status, error) = (ImportJobStatus.Cancelled, "Cancelled before it started, so nothing was imported.");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            error = InstanceStopped;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Import job {Id} failed.", id);
            error = "The import stopped on an unexpected error, so nothing was imported. The server's log has the details.";
        }
        finally
        {
            await FinishAsync(id, entry, status, report, error);
        }
    }

    /// <summary>Moves the job from queued to running, or finishes it at once when it was cancelled while it waited.</summary>
    private async Task<ImportJob?> StartAsync(IServiceProvider services, Guid id, LiveJob entry)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        var job = await db.ImportJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id);
        if (job is null || job.CancelRequested)
        {
            entry.Cancel.Cancel();
        }

        if (job is null || entry.Cancel.IsCancellationRequested)
        {
            throw new OperationCanceledException(entry.Cancel.Token);
        }

        var now = time.GetUtcNow();
        var started = await db.ImportJobs.Where(j => j.Id == id && j.Status == ImportJobStatus.Queued).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, ImportJobStatus.Running).SetProperty(j => j.StartedAt, now).SetProperty(j => j.HeartbeatAt, now));
        return started == 1 ? job : null;
    }

    /// <summary>The job runs as the user who started it (the audit log names them), if they still may import this.</summary>
    private static async Task<string?> ActAsCreatorAsync(IServiceProvider services, ImportJob job, ImportKindInfo kind)
    {
        var users = services.GetRequiredService<UserManager<PsmUser>>();
        if (await users.FindByIdAsync(job.CreatedById.ToString()) is not { IsActive: true } user)
        {
            return "The user who started this import is no longer active, so nothing was imported.";
        }

        var currentUser = services.GetRequiredService<CurrentUser>();
        currentUser.Set(await services.GetRequiredService<IUserClaimsPrincipalFactory<PsmUser>>().CreateAsync(user));
        return currentUser.Holds(kind.Permission) ? null : $"{user.Email} may no longer import {kind.What}, so nothing was imported.";
    }

    private async Task FinishAsync(Guid id, LiveJob entry, ImportJobStatus status, CsvImportResult? report, string? error)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
            var now = time.GetUtcNow();
            var json = report is null ? null : JsonSerializer.Serialize(report, JsonSerializerOptions.Web);
            var (bytes, rows) = (Interlocked.Read(ref entry.Bytes), Volatile.Read(ref entry.Rows));
            await db.ImportJobs.Where(j => j.Id == id).Where(ImportJob.Unfinished).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, status).SetProperty(j => j.Report, json).SetProperty(j => j.Error, error)
                .SetProperty(j => j.FinishedAt, now).SetProperty(j => j.HeartbeatAt, now)
                .SetProperty(j => j.RowsRead, report == null ? rows : report.RowsRead).SetProperty(j => j.BytesRead, bytes));
        }
        catch (Exception e)
        {
            logger.LogError(e, "Import job {Id} ended {Status} but could not be marked so; another instance will mark it failed.", id, status);
        }
        finally
        {
            live.TryRemove(id, out _);
            entry.Cancel.Dispose();
            TryDelete(entry.Path);
        }
    }

    private async Task WatchAsync(CancellationToken stopping)
    {
        await CleanStagingAsync(stopping);
        using var timer = new PeriodicTimer(Heartbeat);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await BeatAsync(stopping);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogDebug(e, "The import jobs' heartbeat was skipped; it tries again.");
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task BeatAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync(ct);
        if (db.IsSqlite && !live.IsEmpty)
        {
            // The running import holds SQLite's one write lock; the API reads its progress from memory.
            return;
        }

        var now = time.GetUtcNow();
        foreach (var (id, job) in live)
        {
            var (bytes, rows) = (Interlocked.Read(ref job.Bytes), Volatile.Read(ref job.Rows));
            await db.ImportJobs.Where(j => j.Id == id).Where(ImportJob.Unfinished)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.HeartbeatAt, now).SetProperty(j => j.RowsRead, rows).SetProperty(j => j.BytesRead, bytes), ct);
        }

        var mine = live.Keys.ToList();
        if (mine.Count > 0)
        {
            foreach (var id in await db.ImportJobs.Where(j => mine.Contains(j.Id) && j.CancelRequested).Select(j => j.Id).ToListAsync(ct))
            {
                TryCancel(id);
            }
        }

        var stale = now - StaleAfter;
        var instance = Leases.ThisInstance;
        var swept = await db.ImportJobs
            .Where(ImportJob.Unfinished).Where(j => j.Instance != instance && j.HeartbeatAt < stale)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, ImportJobStatus.Failed).SetProperty(j => j.Error, InstanceStopped)
                .SetProperty(j => j.FinishedAt, now), ct);
        if (swept > 0)
        {
            logger.LogWarning("Marked {Count} import job(s) failed: the instance running them stopped.", swept);
        }
    }

    /// <summary>Deletes staged uploads whose job has finished or is gone (left by a process that was killed).</summary>
    private async Task CleanStagingAsync(CancellationToken ct)
    {
        try
        {
            if (!Directory.Exists(StagingPath))
            {
                return;
            }

            var old = DateTime.UtcNow - StaleAfter;
            var files = Directory.EnumerateFiles(StagingPath, "*.csv")
                .Select(f => (Path: f, Id: Guid.TryParse(Path.GetFileNameWithoutExtension(f), out var id) ? id : Guid.Empty))
                .Where(f => f.Id != Guid.Empty && !live.ContainsKey(f.Id) && File.GetLastWriteTimeUtc(f.Path) < old).ToList();
            if (files.Count == 0)
            {
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync(ct);
            var ids = files.Select(f => f.Id).ToList();
            var waiting = (await db.ImportJobs.Where(j => ids.Contains(j.Id)).Where(ImportJob.Unfinished)
                .Select(j => j.Id).ToListAsync(ct)).ToHashSet();
            foreach (var file in files.Where(f => !waiting.Contains(f.Id)))
            {
                TryDelete(file.Path);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not clean the import staging folder {Path}.", StagingPath);
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException e)
        {
            logger.LogWarning(e, "Could not delete the staged upload {Path}.", path);
        }
    }

    /// <summary>Reports on the import's own thread (Progress&lt;T&gt; would queue every report to the thread pool).</summary>
    private sealed class Reporter(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    private sealed class LiveJob(string path)
    {
        public string Path { get; } = path;
        public CancellationTokenSource Cancel { get; } = new();
        public long Bytes;
        public int Rows;
    }
}
