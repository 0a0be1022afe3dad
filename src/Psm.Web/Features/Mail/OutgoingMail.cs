using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Psm.Web.Data;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Outbox;

namespace Psm.Web.Features.Mail;

/// <summary>Mailbox passwords, protected with ASP.NET Data Protection before they are stored.</summary>
public sealed class MailSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("Psm.Mail.MailboxSecrets");

    public string Protect(string secret) => secret.Length == 0 ? "" : protector.Protect(secret);

    /// <summary>The password, or an explanation when the keys that protected it are gone (enter it again).</summary>
    public string Unprotect(string stored, string what)
    {
        if (stored.Length == 0)
        {
            return "";
        }

        try
        {
            return protector.Unprotect(stored);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"The stored {what} password cannot be read with this instance's keys; enter it again.", e);
        }
    }
}

/// <summary>Mail PSM sends: written to the outbox with the change that causes it, delivered by <see cref="MailChannel"/>.</summary>
public static class OutgoingMail
{
    public const string Channel = "mail";

    /// <summary>
    /// Queues an agent's public reply to the customer when the ticket is an e-mail conversation (it came in
    /// by mail, or its channel is e-mail): from the mailbox it came through (else the team's, else the first
    /// enabled one), to the contact (else the customer), with the ticket key in the subject and the
    /// threading headers of the mails before it. Added to <paramref name="db"/>, saved by the caller.
    /// </summary>
    public static async Task<MailMessage?> QueueReplyAsync(PsmDb db, Ticket ticket, TicketEvent reply, DateTimeOffset now, CancellationToken ct)
    {
        var thread = await db.MailMessages.AsNoTracking().Where(m => m.TicketId == ticket.Id).OrderBy(m => m.At).ThenBy(m => m.Id)
            .Select(m => new { m.MessageId, m.MailboxId, m.Direction }).ToListAsync(ct);
        if (thread.Count == 0 && ticket.Channel != TicketChannel.Email)
        {
            return null;
        }

        var mailboxId = thread.LastOrDefault(m => m.Direction == MailDirection.Inbound && m.MailboxId != null)?.MailboxId;
        var mailbox = await db.Mailboxes.AsNoTracking().Where(m => m.Id == mailboxId).FirstOrDefaultAsync(ct)
            ?? await db.Mailboxes.AsNoTracking().Where(m => m.Enabled && m.TeamId == ticket.TeamId).OrderBy(m => m.CreatedAt).FirstOrDefaultAsync(ct)
            ?? await db.Mailboxes.AsNoTracking().Where(m => m.Enabled).OrderBy(m => m.CreatedAt).FirstOrDefaultAsync(ct);
        var to = ticket.ContactId is { } contact
            ? await db.CustomerContacts.Where(c => c.Id == contact).Select(c => c.Email).SingleOrDefaultAsync(ct)
            : await db.Customers.Where(c => c.Id == ticket.CustomerId).Select(c => c.Email).SingleOrDefaultAsync(ct);
        if (mailbox is null || string.IsNullOrWhiteSpace(to))
        {
            return null;
        }

        var domain = mailbox.Address.Split('@').Last();
        var message = new MailMessage
        {
            MailboxId = mailbox.Id, Direction = MailDirection.Outbound, MessageId = $"{Guid.NewGuid():N}.{ticket.Key.ToLowerInvariant()}@{domain}",
            InReplyTo = thread.LastOrDefault()?.MessageId, References = string.Join(' ', thread.TakeLast(20).Select(m => m.MessageId)),
            FromAddress = mailbox.Address, FromName = mailbox.Name, ToAddress = to.Trim(),
            Subject = $"{(thread.Count > 0 ? "Re: " : "")}[{ticket.Key}] {ticket.Subject}", Text = reply.Text, At = now, Disposition = MailDisposition.Sent,
            TicketId = ticket.Id, TicketEventId = reply.Id,
        };
        db.MailMessages.Add(message);
        db.Outbox.Add(new OutboxMessage { Channel = Channel, Reference = message.Id, CreatedAt = now, NextAttemptAt = now, Status = OutboxStatus.Queued });
        return message;
    }

    /// <summary>The mail as sent: PSM's marker line on top (the customer's answer is cut there), the reply, and who wrote it.</summary>
    public static MimeMessage Compose(MailMessage message, string agent)
    {
        var mime = new MimeMessage { MessageId = message.MessageId, Subject = message.Subject, Date = message.At };
        mime.From.Add(new MailboxAddress(message.FromName, message.FromAddress));
        mime.To.Add(MailboxAddress.Parse(message.ToAddress));
        if (message.InReplyTo is { Length: > 0 } inReplyTo)
        {
            mime.InReplyTo = inReplyTo;
        }

        foreach (var reference in message.References.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            mime.References.Add(reference);
        }

        // Answers to PSM's mail are automatic replies' business only if they say so; PSM's own mail says it is not bulk.
        mime.Headers.Add("Auto-Submitted", "no");
        var signature = agent.Length > 0 ? $"{agent}, {message.FromName}" : message.FromName;
        mime.Body = new TextPart("plain") { Text = $"{MailReading.ReplyAbove}\n\n{message.Text}\n\n-- \n{signature}\n{message.Subject.Replace("Re: ", "")}\n" };
        return mime;
    }
}

/// <summary>Delivers queued mail over SMTP (MailKit), one connection per mailbox for a whole batch.</summary>
public sealed class MailChannel(IDbContextFactory<PsmDb> dbs, MailSecrets secrets) : IOutboxChannel
{
    public string Name => OutgoingMail.Channel;

    public IOutboxSession Open() => new Session(dbs, secrets);

    private sealed class Session(IDbContextFactory<PsmDb> dbs, MailSecrets secrets) : IOutboxSession
    {
        private readonly Dictionary<Guid, SmtpClient> clients = [];
        private readonly Dictionary<Guid, Mailbox> mailboxes = [];

        public async Task DeliverAsync(OutboxMessage outbox, CancellationToken ct)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var message = await db.MailMessages.AsNoTracking().SingleOrDefaultAsync(m => m.Id == outbox.Reference, ct)
                ?? throw new PermanentDeliveryException("The message to send no longer exists.");
            if (message.MailboxId is not { } mailboxId)
            {
                throw new PermanentDeliveryException("The mailbox it was to go out from was removed.");
            }

            var agent = message.TicketEventId is { } eventId ? await db.TicketEvents.Where(e => e.Id == eventId).Select(e => e.Actor).SingleOrDefaultAsync(ct) ?? "" : "";
            var client = await ConnectAsync(db, mailboxId, ct);
            try
            {
                await client.SendAsync(OutgoingMail.Compose(message, agent), ct);
            }
            catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
            {
                throw new PermanentDeliveryException($"{(int)e.StatusCode} {e.Message}", e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The connection may be in any state: the next message opens a new one.
                clients.Remove(mailboxId);
                client.Dispose();
                throw e is SmtpCommandException command ? new InvalidOperationException($"{(int)command.StatusCode} {command.Message}", e) : e;
            }
        }

        private async Task<SmtpClient> ConnectAsync(PsmDb db, Guid mailboxId, CancellationToken ct)
        {
            if (clients.TryGetValue(mailboxId, out var connected) && connected.IsConnected)
            {
                return connected;
            }

            if (!mailboxes.TryGetValue(mailboxId, out var mailbox))
            {
                mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == mailboxId, ct)
                    ?? throw new PermanentDeliveryException("The mailbox it was to go out from was removed.");
                mailboxes[mailboxId] = mailbox;
            }

            var client = new SmtpClient { Timeout = 30_000 };
            try
            {
                await client.ConnectAsync(mailbox.SmtpHost, mailbox.SmtpPort, MailFetcher.Options(mailbox.SmtpSecurity), ct);
                if (mailbox.SmtpUser.Length > 0)
                {
                    await client.AuthenticateAsync(mailbox.SmtpUser, secrets.Unprotect(mailbox.SmtpSecretProtected, "SMTP"), ct);
                }
            }
            catch
            {
                client.Dispose();
                throw;
            }

            clients[mailboxId] = client;
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in clients.Values)
            {
                try
                {
                    if (client.IsConnected)
                    {
                        await client.DisconnectAsync(true);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or MailKit.ProtocolException)
                {
                }

                client.Dispose();
            }
        }
    }
}
