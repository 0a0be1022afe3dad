using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure.Http;

/// <summary>The first answer to a POST that carried an Idempotency-Key, kept 24 hours to answer its retries.</summary>
[NotAudited]
public sealed class IdempotencyRecord
{
    public Guid Id { get; set; } = NewId.Next();

    /// <summary>Who sent it (a user id): one caller's keys never answer another's requests.</summary>
    public string Owner { get; set; } = "";

    public string Key { get; set; } = "";
    public string Method { get; set; } = "";
    public string Path { get; set; } = "";

    /// <summary>SHA-256 of the request body: the same key with another body is refused.</summary>
    public string RequestHash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Null while the first request runs.</summary>
    public int? StatusCode { get; set; }

    /// <summary>
    /// While the first request runs, the instance running it pushes this forward every <see cref="Idempotency.Heartbeat"/>;
    /// a claim left behind by an instance that died passes it, and the next retry runs the request instead of waiting.
    /// </summary>
    public DateTimeOffset? RunningUntil { get; set; }

    public string? ContentType { get; set; }
    public string? Location { get; set; }
    public string? Body { get; set; }
}

internal sealed class IdempotencyConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> r)
    {
        r.ToTable("IdempotencyRecords");
        r.Property(x => x.Owner).HasMaxLength(64);
        r.Property(x => x.Key).HasMaxLength(200);
        r.Property(x => x.Method).HasMaxLength(8);
        r.Property(x => x.Path).HasMaxLength(500);
        r.Property(x => x.RequestHash).HasMaxLength(64);
        r.Property(x => x.ContentType).HasMaxLength(200);
        r.Property(x => x.Location).HasMaxLength(500);
        r.HasIndex(x => new { x.Owner, x.Key }).IsUnique();
        r.HasIndex(x => x.CreatedAt);
    }
}

/// <summary>
/// <c>Idempotency-Key</c> on an API POST by a signed-in caller: the first request runs and its answer (below 500) is kept
/// for 24 hours; a retry with the same key and body gets that answer again (header <c>Idempotent-Replayed: true</c>) and
/// creates nothing; the same key with another body or path is refused (422); a retry while the first still runs gets 409.
/// A 5xx answer is not kept, so the retry runs again. A first request whose instance died (nothing stored, no heartbeat
/// for <see cref="Abandoned"/>) holds the key no longer: the next retry takes it over and runs.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    private const int MaxStoredBody = 1024 * 1024;
    private static readonly TimeSpan KeepFor = TimeSpan.FromHours(24);

    /// <summary>How often a running first request says it still runs.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(20);

    /// <summary>A claim with no heartbeat for this long was left by an instance that stopped: three heartbeats missed.</summary>
    public static readonly TimeSpan Abandoned = Heartbeat * 3;

    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app) =>
        app.UseWhen(
            c => HttpMethods.IsPost(c.Request.Method) && ApiPaths.IsApi(c.Request) && c.Request.Headers.ContainsKey(Header)
                 && c.User.FindFirstValue(ClaimTypes.NameIdentifier) is not null,
            branch => branch.Use(HandleAsync));

    private static async Task HandleAsync(HttpContext http, RequestDelegate next)
    {
        var key = http.Request.Headers[Header].ToString().Trim();
        if (key.Length is 0 or > 200)
        {
            await ProblemAsync(http, StatusCodes.Status400BadRequest, "The Idempotency-Key header is invalid.", "Send 1 to 200 characters, unique per request you mean (a UUID will do).");
            return;
        }

        http.Request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
        {
            sha.AppendData(buffer, 0, read);
        }

        http.Request.Body.Position = 0;
        var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        var owner = http.User.FindFirstValue(ClaimTypes.NameIdentifier)!;
        var path = (http.Request.Path + http.Request.QueryString).ToString();
        if (path.Length > 500)
        {
            await next(http);
            return;
        }

        var services = http.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var dbs = services.GetRequiredService<IDbContextFactory<PsmDb>>();
        var now = time.GetUtcNow();
        IdempotencyRecord record;
        await using (var db = await dbs.CreateDbContextAsync(http.RequestAborted))
        {
            await db.IdempotencyRecords.Where(r => r.Owner == owner && r.Key == key && r.CreatedAt < now - KeepFor).ExecuteDeleteAsync(http.RequestAborted);
            // A claim whose request died with its instance, for this same request: given up, so that this retry runs it.
            await db.IdempotencyRecords.Where(r => r.Owner == owner && r.Key == key && r.StatusCode == null && r.RunningUntil < now
                && r.Path == path && r.Method == http.Request.Method && r.RequestHash == hash).ExecuteDeleteAsync(http.RequestAborted);
            record = new IdempotencyRecord
            {
                Owner = owner, Key = key, Method = http.Request.Method, Path = path, RequestHash = hash, CreatedAt = now, RunningUntil = now + Abandoned,
            };
            db.IdempotencyRecords.Add(record);
            try
            {
                await db.SaveChangesAsync(http.RequestAborted);
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear();
                var first = await db.IdempotencyRecords.AsNoTracking().SingleOrDefaultAsync(r => r.Owner == owner && r.Key == key, http.RequestAborted);
                await AnswerRetryAsync(http, first, path, hash);
                return;
            }
        }

        using var beating = new CancellationTokenSource();
        var heartbeat = BeatAsync(dbs, time, record.Id, beating.Token);

        var original = http.Response.Body;
        await using var captured = new MemoryStream();
        http.Response.Body = captured;
        var keep = false;
        try
        {
            await next(http);
            keep = http.Response.StatusCode < 500;
        }
        finally
        {
            await beating.CancelAsync();
            await heartbeat;
            http.Response.Body = original;
            captured.Position = 0;
            await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
            if (keep && captured.Length <= MaxStoredBody)
            {
                var body = System.Text.Encoding.UTF8.GetString(captured.ToArray());
                var location = http.Response.Headers.Location.ToString();
                await db.IdempotencyRecords.Where(r => r.Id == record.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.StatusCode, http.Response.StatusCode)
                    .SetProperty(r => r.ContentType, http.Response.ContentType)
                    .SetProperty(r => r.Location, location.Length == 0 ? null : location)
                    .SetProperty(r => r.Body, body), CancellationToken.None);
            }
            else
            {
                await db.IdempotencyRecords.Where(r => r.Id == record.Id).ExecuteDeleteAsync(CancellationToken.None);
            }

            await captured.CopyToAsync(original, CancellationToken.None);
        }
    }

    /// <summary>Pushes the claim's <see cref="IdempotencyRecord.RunningUntil"/> forward while its request runs.</summary>
    private static async Task BeatAsync(IDbContextFactory<PsmDb> dbs, TimeProvider time, Guid id, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Heartbeat, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await using var db = await dbs.CreateDbContextAsync(ct);
                    var until = time.GetUtcNow() + Abandoned;
                    await db.IdempotencyRecords.Where(r => r.Id == id && r.StatusCode == null).ExecuteUpdateAsync(s => s.SetProperty(r => r.RunningUntil, until), ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is made up by the next one; three missed let a retry run the request again.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task AnswerRetryAsync(HttpContext http, IdempotencyRecord? first, string path, string hash)
    {
        if (first is null)
        {
            await ProblemAsync(http, StatusCodes.Status409Conflict, "A request with this Idempotency-Key just finished failing.", "Send it again.");
            return;
        }

        if (first.Path != path || first.Method != http.Request.Method || first.RequestHash != hash)
        {
            await ProblemAsync(http, StatusCodes.Status422UnprocessableEntity, "This Idempotency-Key was used for another request.",
                $"The key was first sent with {first.Method} {first.Path} and another body; use a new key for a new request.");
            return;
        }

        if (first.StatusCode is not { } status)
        {
            http.Response.Headers.RetryAfter = "1";
            await ProblemAsync(http, StatusCodes.Status409Conflict, "The first request with this Idempotency-Key is still running.", "Try again in a moment: you will get its answer.");
            return;
        }

        http.Response.StatusCode = status;
        http.Response.Headers["Idempotent-Replayed"] = "true";
        if (first.Location is { } location)
        {
            http.Response.Headers.Location = location;
        }

        if (first.ContentType is { } type)
        {
            http.Response.ContentType = type;
        }

        if (first.Body is { Length: > 0 } body)
        {
            await http.Response.WriteAsync(body, http.RequestAborted);
        }
    }

    private static async Task ProblemAsync(HttpContext http, int status, string title, string detail)
    {
        http.Response.StatusCode = status;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>Drops answers older than 24 hours.</summary>
    public static Task PurgeAsync(PsmDb db, DateTimeOffset now, CancellationToken ct) =>
        db.IdempotencyRecords.Where(r => r.CreatedAt < now - KeepFor).ExecuteDeleteAsync(ct);
}
