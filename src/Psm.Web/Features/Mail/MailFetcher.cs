using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Mail;

/// <summary>
/// Reads new mail over IMAP (MailKit), by UID: everything above the last UID read, in order, in batches
/// (one FETCH brings a batch's bodies; while it is written the next one downloads; at most two batches are
/// held, so memory stays flat however many wait). The mailbox's lease in the database makes one
/// instance read a mailbox at a time; the stored UID and the unique Message-ID make a restart go on where
/// it stopped without taking a message twice. The folder is opened read-only: PSM leaves the mail where it is.
/// </summary>
public sealed class MailFetcher(IDbContextFactory<PsmDb> dbs, MailIngest ingest, MailSecrets secrets, TimeProvider time, ILogger<MailFetcher> logger)
{
    private static readonly TimeSpan LeaseFor = TimeSpan.FromMinutes(2);

    public static SecureSocketOptions Options(MailSecurity security) => security switch
    {
        MailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        MailSecurity.StartTls => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.None,
    };

    public async Task<FetchResult> FetchAllAsync(CancellationToken ct = default)
    {
        List<Guid> ids;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            ids = await db.Mailboxes.Where(m => m.Enabled).OrderBy(m => m.CreatedAt).Select(m => m.Id).ToListAsync(ct);
        }

        var total = new FetchResult(0, 0, 0, 0, 0, 0, 0);
        foreach (var id in ids)
        {
            total += await FetchAsync(id, ct) ?? new FetchResult(0, 0, 0, 0, 0, 0, 0);
        }

        return total;
    }

    /// <summary>Reads what is new in one mailbox; null when there is no such mailbox.</summary>
    public async Task<FetchResult?> FetchAsync(Guid mailboxId, CancellationToken ct = default)
    {
        var lease = $"mail-fetch:{mailboxId}";
        await using var db = await dbs.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == mailboxId, ct);
        if (mailbox is null)
        {
            return null;
        }

        // Each fetch holds the lease as itself, so two fetches in one process exclude each other too.
        var holder = $"{Leases.ThisInstance}/{Guid.NewGuid():N}";
        if (!await Leases.TryTakeAsync(db, lease, holder, LeaseFor, time.GetUtcNow(), ct))
        {
            return new FetchResult(0, 0, 0, 0, 0, 0, 0, "Another fetch is reading this mailbox now.");
        }

        var counts = new Dictionary<IngestOutcome, int>();
        var read = 0;
        void Tally(IReadOnlyList<IngestOutcome> outcomes)
        {
            foreach (var outcome in outcomes)
            {
                counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
                read++;
            }
        }

        string? error = null;
        Task<IReadOnlyList<IngestOutcome>>? writing = null;
        try
        {
            using var client = await ConnectAsync(mailbox, ct);
            var folder = await client.GetFolderAsync(mailbox.Folder, ct);
            await folder.OpenAsync(FolderAccess.ReadOnly, ct);
            var validity = (long)folder.UidValidity;
            if (validity != mailbox.UidValidity)
            {
                // A new UID space (the folder was recreated): read it all again; Message-IDs keep what was taken from being taken twice.
                await db.Mailboxes.Where(m => m.Id == mailbox.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.UidValidity, validity).SetProperty(m => m.LastUid, 0L), ct);
                (mailbox.UidValidity, mailbox.LastUid) = (validity, 0);
            }

            var fresh = (await folder.SearchAsync(SearchQuery.Uids(new UniqueIdRange(new UniqueId((uint)mailbox.LastUid + 1), UniqueId.MaxValue)), ct))
                .Where(u => u.Id > mailbox.LastUid).OrderBy(u => u.Id).ToList();
            var limit = (long)mailbox.MaxMessageMegabytes * 1024 * 1024;
            // Download and write overlap: while one batch is written, the next is downloaded and parsed.
            // A batch is what one IMAP FETCH brings (its bodies in one command), at most BatchMessages or about BatchBytes.
            var ours = true;
            foreach (var chunk in fresh.Chunk(MailIngest.BatchMessages))
            {
                var summaries = (await folder.FetchAsync(chunk, MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.Envelope, ct))
                    .OrderBy(s => s.UniqueId.Id).ToList();
                foreach (var batch in Batches(summaries, limit))
                {
                    var mail = await DownloadAsync(folder, batch, limit, ct);
                    if (writing is { } previous)
                    {
                        writing = null;
                        Tally(await previous);
                        // Still ours for the next batch (a long backlog outlives one lease period).
                        if (!await Leases.TryTakeAsync(db, lease, holder, LeaseFor, time.GetUtcNow(), ct))
                        {
                            ours = false;
                            break;
                        }
                    }

                    if (mail.Count > 0)
                    {
                        writing = Task.Run(() => ingest.ProcessBatchAsync(mailbox, validity, mail, force: false, ct), ct);
                    }
                }

                if (!ours)
                {
                    break;
                }
            }

            if (writing is { } last)
            {
                writing = null;
                Tally(await last);
            }

            await client.DisconnectAsync(true, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            error = e.Message;
            logger.LogWarning("Reading mailbox {Mailbox} failed: {Error}", mailbox.Address, e.Message);
        }
        finally
        {
            // A batch still being written when the download failed finishes before the lease goes.
            if (writing is not null)
            {
                try
                {
                    Tally(await writing);
                }
                catch (Exception e)
                {
                    error ??= e.Message;
                }
            }

            await db.Mailboxes.Where(m => m.Id == mailbox.Id).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.LastFetchAt, time.GetUtcNow())
                .SetProperty(m => m.LastFetchError, error == null ? null : error.Length > 2000 ? error[..2000] : error), CancellationToken.None);
            await Leases.ReleaseAsync(db, lease, holder, CancellationToken.None);
        }

        return new FetchResult(read, counts.GetValueOrDefault(IngestOutcome.NewTicket), counts.GetValueOrDefault(IngestOutcome.TicketReply),
            counts.GetValueOrDefault(IngestOutcome.Feedback), counts.GetValueOrDefault(IngestOutcome.Ignored), counts.GetValueOrDefault(IngestOutcome.Duplicate),
            counts.GetValueOrDefault(IngestOutcome.Quarantined), error);
    }

    /// <summary>Splits what a FETCH listed into batches of about <see cref="MailIngest.BatchBytes"/> (a message too big to download counts for nothing).</summary>
    private static IEnumerable<List<IMessageSummary>> Batches(List<IMessageSummary> summaries, long limit)
    {
        var batch = new List<IMessageSummary>();
        long bytes = 0;
        foreach (var summary in summaries)
        {
            var size = (long)(summary.Size ?? 0);
            var counted = size > limit ? 0 : size;
            if (batch.Count > 0 && bytes + counted > MailIngest.BatchBytes)
            {
                yield return batch;
                (batch, bytes) = ([], 0);
            }

            batch.Add(summary);
            bytes += counted;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>The bodies of a batch in one FETCH; a message over the mailbox's limit is not downloaded (it goes to the quarantine with its size).</summary>
    private static async Task<List<IncomingMail>> DownloadAsync(IMailFolder folder, List<IMessageSummary> batch, long limit, CancellationToken ct)
    {
        var bodies = new Dictionary<uint, MemoryStream>();
        var wanted = batch.Where(s => (long)(s.Size ?? 0) <= limit).Select(s => s.UniqueId).ToList();
        if (wanted.Count > 0)
        {
            await ((ImapFolder)folder).GetStreamsAsync(wanted, async (_, _, uid, stream, token) =>
            {
                var copy = new MemoryStream();
                await stream.CopyToAsync(copy, token);
                copy.Position = 0;
                bodies[uid.Id] = copy;
            }, ct);
        }

        // A message deleted on the server between the listing and the download is simply not there: nothing to read.
        return batch.Where(s => (long)(s.Size ?? 0) > limit || bodies.ContainsKey(s.UniqueId.Id))
            .Select(s => new IncomingMail(s.UniqueId.Id, (long)(s.Size ?? 0), (long)(s.Size ?? 0) > limit ? null : bodies[s.UniqueId.Id],
                s.Envelope?.From?.ToString() ?? "", s.Envelope?.Subject ?? ""))
            .ToList();
    }

    /// <summary>
    /// Reads a quarantined message again from the server, as well as PSM can (its charset decoded as UTF-8
    /// if unknown, the size limit waived): for after the admin looked at it. It leaves the quarantine when it is taken.
    /// </summary>
    public async Task<IngestOutcome?> RetryAsync(Guid quarantinedId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var item = await db.QuarantinedMail.AsNoTracking().SingleOrDefaultAsync(q => q.Id == quarantinedId, ct);
        if (item is null)
        {
            return null;
        }

        var mailbox = await db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == item.MailboxId, ct);
        try
        {
            using var client = await ConnectAsync(mailbox, ct);
            var folder = await client.GetFolderAsync(mailbox.Folder, ct);
            await folder.OpenAsync(FolderAccess.ReadOnly, ct);
            if ((long)folder.UidValidity != item.UidValidity)
            {
                throw new RequestValidationException("id", "The folder was recreated on the server since; this message can no longer be found by its UID. Drop it.");
            }

            await using var raw = new MemoryStream();
            await using (var stream = await folder.GetStreamAsync(new UniqueId((uint)item.Uid), ct))
            {
                await stream.CopyToAsync(raw, ct);
            }

            raw.Position = 0;
            var outcome = await ingest.ProcessAsync(mailbox, item.UidValidity, item.Uid, raw, raw.Length, force: true, ct);
            await client.DisconnectAsync(true, ct);
            return outcome;
        }
        catch (MessageNotFoundException)
        {
            throw new RequestValidationException("id", "The message is no longer on the server. Drop it.");
        }
        catch (Exception e) when (e is MailKit.ServiceNotConnectedException or MailKit.Security.AuthenticationException or IOException or System.Net.Sockets.SocketException or ImapCommandException or ImapProtocolException)
        {
            throw new RequestValidationException("id", $"The mail server could not be read: {e.Message}");
        }
    }

    private async Task<ImapClient> ConnectAsync(Mailbox mailbox, CancellationToken ct)
    {
        var client = new ImapClient { Timeout = 60_000 };
        try
        {
            await client.ConnectAsync(mailbox.ImapHost, mailbox.ImapPort, Options(mailbox.ImapSecurity), ct);
            await client.AuthenticateAsync(mailbox.ImapUser, secrets.Unprotect(mailbox.ImapSecretProtected, "IMAP"), ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}

/// <summary>Reads every enabled mailbox every <c>Mail:FetchSeconds</c> (60 by default; 0 turns it off).</summary>
public sealed class MailFetchJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<MailFetchJob> logger) : Infrastructure.PeriodicJob(scopes, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(config.GetValue("Mail:FetchSeconds", 60.0));

    protected override string What => "The mail fetcher";

    // Every instance fetches: each mailbox has a lease of its own.
    protected override bool OnceAcrossInstances => false;

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) => services.GetRequiredService<MailFetcher>().FetchAllAsync(ct);
}
