using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Mail;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Outbox;

namespace Psm.Bench;

/// <summary>
/// The e-mail channel against the real mail server bench/run.sh starts (PSM_TEST_MAIL):
/// mail-ingest reads N messages from an IMAP mailbox into tickets; its limit is a bare MailKit loop that only
/// downloads and parses the same messages. mail-outbox sends N queued mails; its limit is a bare MailKit loop
/// sending the same messages over one SMTP connection. Both paths talk to the same servers in the same run.
/// </summary>
public static class MailScenarios
{
    public const string Ingest = "mail-ingest";
    public const string Outbox = "mail-outbox";

    private static readonly IConfiguration NoSettings = new ConfigurationBuilder().Build();

    private sealed record Server(string SmtpHost, int SmtpPort, string ImapHost, int ImapPort, string Password);

    private static Server MailServer()
    {
        var setting = Environment.GetEnvironmentVariable("PSM_TEST_MAIL")
            ?? throw new InvalidOperationException("PSM_TEST_MAIL is not set: run the bench through bench/run.sh, which starts the mail server.");
        var parts = setting.Split(';').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var smtp = parts["smtp"].Split(':');
        var imap = parts["imap"].Split(':');
        return new Server(smtp[0], int.Parse(smtp[1]), imap[0], int.Parse(imap[1]), parts["password"]);
    }

    private static string Address(string who) => $"{who}-{Guid.NewGuid():N}"[..(who.Length + 13)] + "@example.test";

    /// <summary>Customer mail as support desks get it: a line or three of text, some with a quoted reply, from a few hundred senders.</summary>
    private static MimeMessage Message(int i, string to)
    {
        var message = new MimeMessage { Subject = $"Question {i}: export of invoices for account {i % 997}", MessageId = $"bench-{i}-{Guid.NewGuid():N}@customer.test" };
        message.From.Add(new MailboxAddress($"Customer {i % 300}", $"customer{i % 300}@customer.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Body = new TextPart("plain")
        {
            Text = $"Hello,\n\nthe invoice export for March shows {i % 40} rows instead of {i % 40 + 3}. Could you have a look?\n\nThanks,\nCustomer {i % 300}\n"
                   + (i % 3 == 0 ? "\nOn Mon, 30 Nov 2026 at 10:00, Support <support@example.test> wrote:\n> We are looking into it.\n> Regards\n" : ""),
        };
        return message;
    }

    public static async Task<ScenarioResult> RunIngestAsync(string provider, int messages)
    {
        var server = MailServer();
        var mailbox = Address("bench-in");
        await FillAsync(server, mailbox, messages);
        var small = Address("bench-in-small");
        await FillAsync(server, small, messages / 5);

        var raw = await Measurement.OfAsync(() => BareReadAsync(server, mailbox, messages, batched: true));
        // The loop most code writes (one FETCH per message), for scale: the limit is the batched one above.
        var oneByOne = await Measurement.OfAsync(() => BareReadAsync(server, mailbox, messages, batched: false));
        // Memory flat in the number of messages: the managed heap PSM holds, sampled during a run of a fifth of the messages and of all of them.
        var (smaller, smallerHeap) = await HeapPeakAsync(() => Measurement.OfAsync(() => PsmReadAsync(provider, server, small, messages / 5)));
        var (psm, heap) = await HeapPeakAsync(() => Measurement.OfAsync(() => PsmReadAsync(provider, server, mailbox, messages)));
        return new ScenarioResult(Ingest, provider, messages, "messages/s", psm, raw, messages / psm.Elapsed.TotalSeconds, messages / raw.Elapsed.TotalSeconds,
            $"bare MailKit loop, one FETCH per {MailIngest.BatchMessages} messages, download + parse; one FETCH per message: {messages / oneByOne.Elapsed.TotalSeconds:N0} messages/s, "
            + $"PSM {oneByOne.Elapsed.TotalSeconds / psm.Elapsed.TotalSeconds:0.00}x of it; "
            + $"PSM managed heap peak {smallerHeap:N0} MB at {messages / 5:N0} messages vs {heap:N0} MB at {messages:N0}");
    }

    /// <summary>Puts the messages straight into the mailbox over IMAP APPEND (setup, not measured).</summary>
    private static async Task FillAsync(Server server, string mailbox, int messages)
    {
        using var imap = new ImapClient();
        await imap.ConnectAsync(server.ImapHost, server.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync(mailbox, server.Password);
        foreach (var chunk in Enumerable.Range(0, messages).Chunk(500))
        {
            await imap.Inbox.AppendAsync(chunk.Select(i => (IAppendRequest)new AppendRequest(Message(i, mailbox), MessageFlags.None)).ToList());
        }

        await imap.DisconnectAsync(true);
    }

    /// <summary>What the run returns, and the highest managed heap seen while it ran (sampled every 20 ms).</summary>
    private static async Task<(T Result, double PeakMegabytes)> HeapPeakAsync<T>(Func<Task<T>> run)
    {
        GC.Collect();
        long peak = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(20);
            }
        });
        var result = await run();
        await stop.CancelAsync();
        await sampler;
        return (result, peak / 1048576.0);
    }

    private static async Task BareReadAsync(Server server, string mailbox, int expected, bool batched)
    {
        using var imap = new ImapClient();
        await imap.ConnectAsync(server.ImapHost, server.ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync(mailbox, server.Password);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var parsed = 0;
        // The fastest bare loop MailKit offers: each FETCH brings the bodies of as many messages as PSM's batches hold.
        foreach (var chunk in (await imap.Inbox.SearchAsync(SearchQuery.All)).Chunk(batched ? MailIngest.BatchMessages : 1))
        {
            await ((ImapFolder)imap.Inbox).GetStreamsAsync(chunk, async (_, _, _, stream, token) =>
            {
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, token);
                copy.Position = 0;
                parsed += (await MimeMessage.LoadAsync(copy, token)).From.Count > 0 ? 1 : 0;
            });
        }

        await imap.DisconnectAsync(true);
        if (parsed != expected)
        {
            throw new InvalidOperationException($"The bare loop parsed {parsed} messages, expected {expected}.");
        }
    }

    private static async Task PsmReadAsync(string provider, Server server, string address, int expected)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var dbs = database.Factory();
        var secrets = new MailSecrets(DataProtectionProvider.Create("psm-bench"));
        Guid mailboxId;
        await using (var db = await dbs.CreateDbContextAsync())
        {
            // A third of the senders are known contacts; the rest go to "Unassigned senders".
            var customer = new Customer { Name = "Bench customer", Email = "accounts@customer.test", Country = "DE", CreatedAt = DateTimeOffset.UtcNow };
            db.Customers.Add(customer);
            db.CustomerContacts.AddRange(Enumerable.Range(0, 100).Select(i => new CustomerContact { CustomerId = customer.Id, Name = $"Customer {i}", Email = $"customer{i}@customer.test" }));
            var mailbox = new Mailbox
            {
                Name = "Bench", Address = address, ImapHost = server.ImapHost, ImapPort = server.ImapPort, ImapSecurity = MailSecurity.None, ImapUser = address,
                ImapSecretProtected = secrets.Protect(server.Password), SmtpHost = server.SmtpHost, SmtpPort = server.SmtpPort, SmtpSecurity = MailSecurity.None,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Mailboxes.Add(mailbox);
            await db.SaveChangesAsync();
            mailboxId = mailbox.Id;
        }

        var tickets = new Tickets(dbs, TimeProvider.System, new CurrentUser(), NoSettings, new Psm.Web.Infrastructure.Http.PublicAddress(NoSettings));
        var fetcher = new MailFetcher(dbs, new MailIngest(dbs, tickets, TimeProvider.System), secrets, TimeProvider.System, NullLogger<MailFetcher>.Instance);
        var result = await fetcher.FetchAsync(mailboxId) ?? throw new InvalidOperationException("The mailbox vanished.");
        if (result.NewTickets != expected)
        {
            throw new InvalidOperationException($"PSM opened {result.NewTickets} tickets from {expected} messages ({result}).");
        }
    }

    public static async Task<ScenarioResult> RunOutboxAsync(string provider, int messages)
    {
        var server = MailServer();
        await using var database = await BenchDatabase.CreateAsync(provider);
        var dbs = database.Factory();
        var sink = Address("bench-out");
        Mailbox mailbox;
        var now = DateTimeOffset.UtcNow;
        await using (var db = await dbs.CreateDbContextAsync())
        {
            mailbox = new Mailbox
            {
                Name = "Bench", Address = Address("bench-support"), ImapHost = server.ImapHost, ImapPort = server.ImapPort, ImapUser = "unused",
                SmtpHost = server.SmtpHost, SmtpPort = server.SmtpPort, SmtpSecurity = MailSecurity.None, CreatedAt = now,
            };
            db.Mailboxes.Add(mailbox);
            await db.SaveChangesAsync();
        }

        // The queue: N replies written as the app writes them (setup, not measured).
        var stored = new List<MailMessage>(messages);
        foreach (var chunk in Enumerable.Range(0, messages).Chunk(1000))
        {
            await using var db = await dbs.CreateDbContextAsync();
            foreach (var i in chunk)
            {
                stored.Add(OutgoingMail.Queue(db, mailbox, sink, $"Re: [T-{1000 + i}] Invoices export", $"{MailReading.ReplyAbove}\n\nReply number {i}: the export is fixed.\n\n-- \nSam, Bench", now));
            }

            await db.SaveChangesAsync();
        }

        var raw = await Measurement.OfAsync(async () =>
        {
            using var smtp = new SmtpClient();
            await smtp.ConnectAsync(server.SmtpHost, server.SmtpPort, SecureSocketOptions.None);
            foreach (var message in stored)
            {
                await smtp.SendAsync(OutgoingMail.Compose(message));
            }

            await smtp.DisconnectAsync(true);
        });
        var sender = new OutboxSender(dbs, [new MailChannel(dbs, new MailSecrets(DataProtectionProvider.Create("psm-bench")))], TimeProvider.System, NoSettings,
            NullLogger<OutboxSender>.Instance);
        OutboxRunResult? result = null;
        var psm = await Measurement.OfAsync(async () => result = await sender.SendDueAsync());
        if (result!.Sent != messages)
        {
            throw new InvalidOperationException($"The outbox sent {result.Sent} of {messages} ({result}).");
        }

        return new ScenarioResult(Outbox, provider, messages, "mails/s", psm, raw, messages / psm.Elapsed.TotalSeconds, messages / raw.Elapsed.TotalSeconds,
            "bare MailKit send loop over one SMTP connection, the same messages");
    }
}
